// Vyra.Sdk web sample: every plugin of the pool over HTTP, like VYRA's plugin/ui_function_call.
//   dotnet run --project samples/Vyra.Samples.Web
//   curl http://127.0.0.1:5080/plugins
//   curl -X POST http://127.0.0.1:5080/plugins/math-kit/divmod -H 'content-type: application/json' -d '{"a":17,"b":5}'
await Vyra.Samples.Web.WebSample.Build(args).RunAsync();
