namespace Vyra.Sdk.Wit;

/// <summary>What kind of problem a <see cref="WitProblem"/> is; the generator maps each to its diagnostic.</summary>
internal enum WitProblemCode
{
    /// <summary>The text is not WIT (or WIT outside what is read here).</summary>
    Syntax,
    /// <summary>A name that resolves to nothing: a type, interface or world.</summary>
    Unresolved,
    /// <summary>A name defined twice in one scope.</summary>
    Duplicate,
    /// <summary>WIT this version does not handle yet (resources, <c>include</c>, futures, other packages).</summary>
    Unsupported,
    /// <summary>Past a bound: too many files, too much text, types nested too deep.</summary>
    TooLarge,
}

/// <summary>One problem in a <c>.wit</c> file, located by line and column (1-based) for the kernel's message and the generator's diagnostic.</summary>
internal sealed record WitProblem(WitProblemCode Code, string Message, string File, int Line, int Column, int Start, int Length)
{
    /// <summary><c>file(line,column): message</c>, the one way a WIT problem is told.</summary>
    public override string ToString() => $"{File}({Line},{Column}): {Message}";
}
