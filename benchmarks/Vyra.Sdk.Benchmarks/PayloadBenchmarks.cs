using System.Text;
using BenchmarkDotNet.Attributes;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Cost as the payload grows (issue 14): case 3a's three rows (<see cref="StringExportBenchmarks"/>: raw echo with
/// hand-written copies, typed proxy, <c>CallAsync</c>) at 0 B … 1 MiB of ASCII. Run it alone:
/// <c>-- --short --filter '*PayloadEcho*'</c>.
/// </summary>
public class PayloadEchoBenchmarks : StringExportBenchmarks
{
    /// <summary>Payload size in bytes (ASCII, so characters = bytes).</summary>
    [Params(0, 64, 1024, 64 * 1024, 1024 * 1024)]
    public int Bytes { get; set; }

    /// <inheritdoc />
    protected override string Payload()
    {
        var pattern = BenchPlugins.Text1K;
        var text = new StringBuilder(Bytes);
        while (text.Length < Bytes) text.Append(pattern, 0, Math.Min(pattern.Length, Bytes - text.Length));
        return text.ToString();
    }
}
