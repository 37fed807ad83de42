namespace Vyra.Sdk;

/// <summary>
/// Where a memory value crosses the sandbox wall, for error messages ("argument 'text'", "result of 'upper'").
/// A struct formatted only when something fails, so the successful path builds no message strings.
/// </summary>
internal readonly struct AbiSite
{
    private readonly string _kind;
    private readonly string _name;
    private readonly int _index;

    private AbiSite(string kind, string name, int index)
    {
        _kind = kind;
        _name = name;
        _index = index;
    }

    public static AbiSite Argument(string name) => new("argument", name, -1);

    public static AbiSite Result(string function) => new("result", function, -1);

    public static AbiSite ImportArgument(string import, int index) => new("import-argument", import, index);

    public static AbiSite ImportResult(string import) => new("import-result", import, -1);

    public override string ToString() => _kind switch
    {
        "argument" => $"argument '{_name}'",
        "result" => $"result of '{_name}'",
        "import-argument" => $"argument {_index} of host import '{_name}'",
        _ => $"result of host import '{_name}'",
    };
}
