namespace Vyra.Sdk;

/// <summary>
/// A WIT <c>result&lt;T, E&gt;</c> in generated bindings: either <see cref="Ok"/> (when <see cref="IsOk"/>) or
/// <see cref="Err"/>. A side WIT leaves out (<c>result&lt;_, e&gt;</c>, <c>result</c>) is <see cref="ComponentUnit"/>.
/// </summary>
public readonly record struct ComponentResult<TOk, TErr>
{
    private ComponentResult(bool isOk, TOk ok, TErr err)
    {
        IsOk = isOk;
        Ok = ok;
        Err = err;
    }

    /// <summary>True for the ok case.</summary>
    public bool IsOk { get; }

    /// <summary>The ok value (default when <see cref="IsOk"/> is false).</summary>
    public TOk Ok { get; }

    /// <summary>The error value (default when <see cref="IsOk"/> is true).</summary>
    public TErr Err { get; }

    /// <summary>The ok case.</summary>
    public static ComponentResult<TOk, TErr> Success(TOk value) => new(true, value, default!);

    /// <summary>The err case.</summary>
    public static ComponentResult<TOk, TErr> Failure(TErr error) => new(false, default!, error);

    /// <inheritdoc />
    public override string ToString() => IsOk ? $"ok({Ok})" : $"err({Err})";
}

/// <summary>The absent payload of a WIT <c>result</c> side (<c>result&lt;_, e&gt;</c>): carries nothing.</summary>
public readonly record struct ComponentUnit;
