// Vyra.Sdk bus sample: two plugins in one host talk over the in-process bus (docs/bus.md).
// Run: dotnet run --project samples/Vyra.Samples.Bus
using Vyra.Samples.Bus;

return await BusSample.RunAsync(args, Console.Out);
