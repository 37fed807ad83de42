using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;

namespace Vyra.Sdk.Generators.Model;

/// <summary>
/// An immutable array compared by its elements, so pipeline models holding lists stay cacheable
/// (a bare <see cref="ImmutableArray{T}"/> compares by reference).
/// </summary>
internal readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
    where T : IEquatable<T>
{
    public static readonly EquatableArray<T> Empty = new(ImmutableArray<T>.Empty);

    private readonly T[]? _items;

    public EquatableArray(ImmutableArray<T> items)
    {
        _items = items.IsDefaultOrEmpty ? null : System.Linq.ImmutableArrayExtensions.ToArray(items);
    }

    public EquatableArray(IEnumerable<T> items)
    {
        var array = new List<T>(items).ToArray();
        _items = array.Length == 0 ? null : array;
    }

    public int Count => _items?.Length ?? 0;

    public bool IsEmpty => Count == 0;

    public T this[int index] => _items![index];

    public bool Equals(EquatableArray<T> other)
    {
        var left = _items ?? System.Array.Empty<T>();
        var right = other._items ?? System.Array.Empty<T>();
        if (left.Length != right.Length) return false;
        for (var i = 0; i < left.Length; i++)
        {
            if (!EqualityComparer<T>.Default.Equals(left[i], right[i])) return false;
        }
        return true;
    }

    public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = 17;
        if (_items is null) return hash;
        foreach (var item in _items) hash = unchecked((hash * 31) + (item is null ? 0 : item.GetHashCode()));
        return hash;
    }

    public static bool operator ==(EquatableArray<T> left, EquatableArray<T> right) => left.Equals(right);

    public static bool operator !=(EquatableArray<T> left, EquatableArray<T> right) => !left.Equals(right);

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(_items ?? System.Array.Empty<T>())).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

internal static class EquatableArray
{
    public static EquatableArray<T> ToEquatableArray<T>(this IEnumerable<T> items)
        where T : IEquatable<T>
        => new(items);

    /// <summary>Value types wrapped as <see cref="AbiType"/> (an enum is not <see cref="IEquatable{T}"/> of itself).</summary>
    public static EquatableArray<AbiType> ToEquatableArray(this IEnumerable<PluginValueType> items)
        => new(System.Linq.Enumerable.Select(items, static t => new AbiType(t)));
}
