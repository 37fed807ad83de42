// Vyra.Sdk bus sample: two plugins talk over the plugin bus (docs/bus.md).
//
// In one process, on the in-process bus:
//   dotnet run --project samples/Vyra.Samples.Bus
//
// The same pair as two processes over Redis (each with its own connection, messages signed with the key in
// VYRA_WIRE_KEY: base64, at least 16 bytes; never on a command line):
//   export VYRA_WIRE_KEY=$(openssl rand -base64 32)                                  (in both terminals)
//   dotnet run --project samples/Vyra.Samples.Bus -- --redis 127.0.0.1:6379 sensor   (first; press Enter to publish a reading, Ctrl-D to stop)
//   dotnet run --project samples/Vyra.Samples.Bus -- --redis 127.0.0.1:6379 display  (once the sensor is ready; then press Enter three times in the sensor)
// An optional last argument is the keyspace prefix (default vyra).
using Vyra.Samples.Bus;

return await BusSample.RunAsync(args, Console.Out);
