using System.Globalization;
using System.Text;

namespace Vyra.Sdk.Contract;

/// <summary>Writes a <see cref="ManifestNode"/> as compact JSON text (for values that came from YAML).</summary>
internal static class ManifestNodeText
{
    public static string Write(ManifestNode value)
    {
        var builder = new StringBuilder();
        Write(value, builder);
        return builder.ToString();
    }

    private static void Write(ManifestNode value, StringBuilder builder)
    {
        switch (value.Kind)
        {
            case NodeKind.Object:
                builder.Append('{');
                for (var i = 0; i < value.Properties!.Count; i++)
                {
                    if (i > 0) builder.Append(',');
                    WriteString(value.Properties[i].Name, builder);
                    builder.Append(':');
                    Write(value.Properties[i].Value, builder);
                }
                builder.Append('}');
                break;
            case NodeKind.Array:
                builder.Append('[');
                for (var i = 0; i < value.Items!.Count; i++)
                {
                    if (i > 0) builder.Append(',');
                    Write(value.Items[i], builder);
                }
                builder.Append(']');
                break;
            case NodeKind.String:
                WriteString(value.Text!, builder);
                break;
            case NodeKind.Number:
                builder.Append(value.Text);
                break;
            case NodeKind.True:
                builder.Append("true");
                break;
            case NodeKind.False:
                builder.Append("false");
                break;
            default:
                builder.Append("null");
                break;
        }
    }

    private static void WriteString(string text, StringBuilder builder)
    {
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < 0x20) builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else builder.Append(c);
                    break;
            }
        }
        builder.Append('"');
    }
}
