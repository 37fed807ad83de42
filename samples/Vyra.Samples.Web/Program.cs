// Vyra.Sdk web sample: every plugin of the pool over HTTP, like VYRA's plugin/ui_function_call.
//   dotnet run --project samples/Vyra.Samples.Web
//   curl http://127.0.0.1:5080/plugins
//   curl -X POST http://127.0.0.1:5080/plugins/math-kit/divmod -H 'content-type: application/json' -d '{"a":17,"b":5}'
//   curl http://127.0.0.1:5080/health
using Microsoft.Extensions.Options;
using Vyra.Sdk.Hosting;

try
{
    await Vyra.Samples.Web.WebSample.Build(args).RunAsync();
    return 0;
}
catch (Exception ex) when (ex is VyraPluginStartException or OptionsValidationException or InvalidOperationException)
{
    // A configuration or plugin start error: say what is wrong and exit 1, rather than die on an unhandled exception.
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
