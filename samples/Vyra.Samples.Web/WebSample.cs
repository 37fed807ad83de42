using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vyra.Sdk;
using Vyra.Sdk.Hosting;
using Vyra.Samples.Web.Plugins;

namespace Vyra.Samples.Web;

/// <summary>
/// The web sample as a library, so tests can build it with their own port and configuration:
/// <c>WebSample.Build(["--urls", "http://127.0.0.1:0"])</c>.
/// <list type="bullet">
/// <item><c>GET /plugins</c>: every plugin version of the pools: id, version, valid, problems, running.</item>
/// <item><c>POST /plugins/{id}/{function}</c> with a JSON object body (the arguments by name) → 200 <c>{"result": ...}</c>;
/// unknown plugin or function 404; bad arguments 422; timeout 504; plugin unusable 503; other failures 500;
/// every error as <c>{"error": reason, "kind": "Trap"}</c>.</item>
/// <item><c>GET /counter</c>, <c>POST /counter/increment?step=n</c>: the typed proxy of counter-widget from DI.</item>
/// </list>
/// </summary>
public static class WebSample
{
    /// <summary>JSON as the endpoints write it (NaN and infinities as names rather than failing).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Builds the app: configuration from <c>appsettings.json</c> next to the program, then <paramref name="args"/>.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // The pool and appsettings.json are copied next to the program: read them there, whatever the working folder.
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Services.AddSingleton<IHostFunctions, WebHostFunctions>();
        builder.Services.AddVyraPlugins()             // options from Vyra:Plugins (appsettings.json, command line, ...)
            .AddPlugin<CounterWidgetPlugin>();        // typed proxy in DI, as CounterWidgetPlugin and ICounterWidgetPlugin
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapGet("/plugins", ListPlugins);
        app.MapPost("/plugins/{id}/{function}", CallPluginAsync);
        app.MapGet("/counter", (ICounterWidgetPlugin counter) => Results.Json(new { count = counter.GetCount() }, Json));
        app.MapPost("/counter/increment", (ICounterWidgetPlugin counter, int? step) => Results.Json(new { count = counter.Increment(step ?? 1) }, Json));
        return app;
    }

    private static IResult ListPlugins(IPluginRuntimes plugins)
    {
        var list = plugins.Catalog.Entries.Select(e => new
        {
            id = e.Id,
            version = e.Version,
            valid = e.IsValid,
            problems = e.Problems,
            running = plugins.TryGetExisting(e.Id, out var runtime) && runtime.IsRunning && SameModule(runtime, e),
        });
        return Results.Json(list, Json);
    }

    private static bool SameModule(PluginRuntime runtime, CatalogEntry entry) =>
        entry.ModulePath is { } path && string.Equals(Path.GetFullPath(runtime.WasmPath), Path.GetFullPath(path), StringComparison.Ordinal);

    private static async Task<IResult> CallPluginAsync(string id, string function, HttpRequest request, IPluginRuntimes plugins, CancellationToken cancellationToken)
    {
        if (!plugins.IsKnown(id)) return Error(StatusCodes.Status404NotFound, $"no plugin '{id}'", "UnknownPlugin");

        JsonDocument? body;
        try
        {
            body = await ReadBodyAsync(request, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Error(StatusCodes.Status400BadRequest, $"the body is not valid JSON: {ex.Message}", "BadRequest");
        }
        using (body)
        {
            if (body is not null && body.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Error(StatusCodes.Status400BadRequest, "the body must be a JSON object of arguments by name", "BadRequest");
            }
            // The values stay JsonElements: the kernel coerces them to the declared types (and says which one is wrong).
            var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (body is not null)
            {
                foreach (var property in body.RootElement.EnumerateObject()) arguments[property.Name] = property.Value;
            }

            PluginRuntime runtime;
            try
            {
                runtime = await plugins.GetStartedAsync(id, cancellationToken);
            }
            catch (PluginLoadException ex)
            {
                return Error(StatusCodes.Status503ServiceUnavailable, ex.Message, "Load");
            }
            try
            {
                var result = await runtime.CallAsync(function, arguments, cancellationToken);
                return Results.Json(result, Json);
            }
            catch (PluginCallException ex)
            {
                return Error(StatusFor(ex.Kind), ex.Reason, ex.Kind.ToString());
            }
        }
    }

    /// <summary>The HTTP status for a failed call.</summary>
    public static int StatusFor(PluginErrorKind kind) => kind switch
    {
        PluginErrorKind.UnknownFunction => StatusCodes.Status404NotFound,
        PluginErrorKind.InvalidArgument => StatusCodes.Status422UnprocessableEntity,
        PluginErrorKind.Timeout => StatusCodes.Status504GatewayTimeout,
        PluginErrorKind.NotStarted => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static async Task<JsonDocument?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0) return null;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length == 0) return null;
        buffer.Position = 0;
        return await JsonDocument.ParseAsync(buffer, cancellationToken: cancellationToken);
    }

    private static IResult Error(int status, string reason, string kind) =>
        Results.Json(new { error = reason, kind }, Json, statusCode: status);
}
