using System.IO.Pipelines;
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
/// <item><c>GET /plugins</c>: every plugin version of the pools: id, version, valid, problems (no server paths), running.</item>
/// <item><c>POST /plugins/{id}/{function}</c> with <c>Content-Type: application/json</c> and a JSON object body (the
/// arguments by name; empty for none) → 200 <c>{"result": ...}</c>. Errors are RFC 7807 problem details
/// (<c>application/problem+json</c>) with the <see cref="PluginErrorKind"/> as <c>kind</c>: unknown plugin or function
/// (lifecycle exports such as <c>init</c> and <c>on_event</c> included) 404; not JSON 415; malformed body 400; body over
/// <see cref="WebSampleOptions.MaxRequestBodyBytes"/> or an argument too big for the plugin's memory 413; bad argument
/// 422; plugin busy (Overloaded) 503 with Retry-After; plugin not loadable or the host stopping 503; timeout 504;
/// other plugin failures 500.</item>
/// <item><c>GET /counter</c>, <c>POST /counter/increment?step=n</c>: the typed proxy of counter-widget from DI.</item>
/// <item><c>GET /health</c>: the plugins' health (status only).</item>
/// </list>
/// Cross-site safety: every POST needs <c>Content-Type: application/json</c>, which a browser sends cross-site only after
/// a CORS preflight, and no CORS policy is configured, so other sites' pages cannot make calls; <c>AllowedHosts</c>
/// (appsettings.json) refuses requests for other host names (DNS rebinding). See docs/production.md.
/// </summary>
public static class WebSample
{
    // Exports that belong to the plugin's lifecycle or its memory ABI: the host calls them, clients never do.
    private static readonly HashSet<string> HostOnlyExports = new(StringComparer.Ordinal) { "init", "on_event", "vyra_alloc", "vyra_free", "_initialize", "_start" };

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
        var web = builder.Configuration.GetSection(WebSampleOptions.SectionName).Get<WebSampleOptions>() ?? new WebSampleOptions();
        web.Validate();
        builder.Services.AddSingleton(web);
        // Kestrel refuses longer bodies while they arrive; the endpoint answers a quiet 413 instead of an unhandled error.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = web.MaxRequestBodyBytes);
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<IHostFunctions, WebHostFunctions>();
        builder.Services.AddVyraPlugins()             // options from Vyra:Plugins (appsettings.json, command line, ...)
            .AddPlugin<CounterWidgetPlugin>();        // typed proxy in DI, as CounterWidgetPlugin and ICounterWidgetPlugin
        builder.Services.AddHealthChecks().AddVyraPluginHealthChecks();
        builder.Services.AddSingleton(sp => new PathRedactor(
            sp.GetRequiredService<IPluginRuntimes>().Pools, [builder.Environment.ContentRootPath, AppContext.BaseDirectory]));
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler(); // unexpected failures: a problem-details 500 without the stack trace
        app.UseStatusCodePages();  // and so are 404 and 405 from routing
        app.MapGet("/plugins", ListPlugins);
        app.MapHealthChecks("/health");
        app.MapGet("/counter", (ICounterWidgetPlugin counter) => Results.Json(new { count = counter.GetCount() }, Json))
            .AddEndpointFilter(MapPluginErrors);
        var posts = app.MapGroup("").AddEndpointFilter(RequireJson).AddEndpointFilter(MapPluginErrors);
        posts.MapPost("/plugins/{id}/{function}", CallPluginAsync);
        posts.MapPost("/counter/increment", (ICounterWidgetPlugin counter, int? step) => Results.Json(new { count = counter.Increment(step ?? 1) }, Json));
        return app;
    }

    private static IResult ListPlugins(IPluginRuntimes plugins, PathRedactor redactor)
    {
        var list = plugins.Plugins.Select(e => new
        {
            id = e.Id,
            version = e.Version,
            valid = e.IsValid,
            problems = e.Problems.Select(redactor.Redact),
            running = plugins.TryGetExisting(e.Id, out var runtime) && runtime.IsRunning && SameModule(runtime, e),
        });
        return Results.Json(list, Json);
    }

    private static bool SameModule(PluginRuntime runtime, CatalogEntry entry) =>
        runtime is WasmRuntime wasm && entry.ModulePath is { } path && string.Equals(Path.GetFullPath(wasm.WasmPath), Path.GetFullPath(path), StringComparison.Ordinal);

    private static async Task<IResult> CallPluginAsync(string id, string function, HttpRequest request, IPluginRuntimes plugins, PathRedactor redactor, WebSampleOptions web, CancellationToken cancellationToken)
    {
        if (!plugins.IsKnown(id)) return Problem(StatusCodes.Status404NotFound, "UnknownPlugin", $"no plugin '{id}'");
        if (HostOnlyExports.Contains(function)) return Problem(StatusCodes.Status404NotFound, nameof(PluginErrorKind.UnknownFunction), $"'{function}' is not callable over HTTP");
        if (request.ContentLength > web.MaxRequestBodyBytes) return TooLarge(request.HttpContext, web);

        JsonDocument? body;
        try
        {
            body = await ReadBodyAsync(request.BodyReader, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "BadRequest", $"the body is not valid JSON: {ex.Message}");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(request.HttpContext, web);
        }
        using (body)
        {
            if (body is not null && body.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Problem(StatusCodes.Status400BadRequest, "BadRequest", "the body must be a JSON object of arguments by name");
            }
            if (body is not null && !HasValidStrings(body.RootElement))
            {
                // JSON lets "\ud800" through, but no .NET string can hold it: refuse it here, at the edge.
                return Problem(StatusCodes.Status400BadRequest, "BadRequest", "the body holds a string with a lone surrogate escape (not valid Unicode)");
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
                return Problem(StatusCodes.Status503ServiceUnavailable, "Load", redactor.Redact(ex.Message));
            }
            var result = await runtime.CallAsync(function, arguments, cancellationToken);
            return Results.Json(result, Json);
        }
    }

    /// <summary>
    /// Parses the body as it arrives (Kestrel has already capped its length): no copy of the whole body is made first, and
    /// an empty body means no arguments.
    /// </summary>
    private static async Task<JsonDocument?> ReadBodyAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        var first = await reader.ReadAsync(cancellationToken);
        if (first.Buffer.IsEmpty && first.IsCompleted)
        {
            reader.AdvanceTo(first.Buffer.End);
            return null;
        }
        reader.AdvanceTo(first.Buffer.Start); // nothing consumed: the parser reads from the first byte
        return await JsonDocument.ParseAsync(reader.AsStream(leaveOpen: true), new JsonDocumentOptions { MaxDepth = 64 }, cancellationToken);
    }

    /// <summary>True when every string and property name of <paramref name="element"/> decodes to valid UTF-16.</summary>
    private static bool HasValidStrings(JsonElement element)
    {
        try
        {
            var pending = new Stack<JsonElement>();
            pending.Push(element);
            while (pending.TryPop(out var current))
            {
                switch (current.ValueKind)
                {
                    case JsonValueKind.String:
                        _ = current.GetString();
                        break;
                    case JsonValueKind.Array:
                        foreach (var item in current.EnumerateArray()) pending.Push(item);
                        break;
                    case JsonValueKind.Object:
                        foreach (var property in current.EnumerateObject())
                        {
                            _ = property.Name;
                            pending.Push(property.Value);
                        }
                        break;
                }
            }
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static async ValueTask<object?> RequireJson(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        // application/json (or +json) is not a CORS "simple" content type: a browser asks first, and nothing says yes.
        if (!context.HttpContext.Request.HasJsonContentType())
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "UnsupportedMediaType", "send the arguments with Content-Type: application/json (an empty body for none)");
        }
        return await next(context);
    }

    private static async ValueTask<object?> MapPluginErrors(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (PluginCallException ex)
        {
            var services = context.HttpContext.RequestServices;
            // A call cancelled while the client is still there was interrupted by the host stopping: retry elsewhere.
            var status = ex.Kind == PluginErrorKind.Cancelled && !context.HttpContext.RequestAborted.IsCancellationRequested
                ? StatusCodes.Status503ServiceUnavailable
                : StatusFor(ex);
            if (ex.Kind == PluginErrorKind.Overloaded || status == StatusCodes.Status503ServiceUnavailable)
            {
                context.HttpContext.Response.Headers.RetryAfter = services.GetRequiredService<WebSampleOptions>().RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            return Problem(status, ex.Kind.ToString(), services.GetRequiredService<PathRedactor>().Redact(ex.Reason));
        }
    }

    /// <summary>The HTTP status for a failed call.</summary>
    public static int StatusFor(PluginCallException failure) => failure.Kind switch
    {
        // The argument did not fit in the plugin's memory: the request is too large for this plugin, not a server fault.
        PluginErrorKind.Abi or PluginErrorKind.MemoryLimit when failure.Reason.StartsWith("argument '", StringComparison.Ordinal) => StatusCodes.Status413PayloadTooLarge,
        _ => StatusFor(failure.Kind),
    };

    /// <summary>The HTTP status for a kind of failed call.</summary>
    public static int StatusFor(PluginErrorKind kind) => kind switch
    {
        PluginErrorKind.UnknownFunction => StatusCodes.Status404NotFound,
        PluginErrorKind.InvalidArgument => StatusCodes.Status422UnprocessableEntity,
        PluginErrorKind.Timeout => StatusCodes.Status504GatewayTimeout,
        PluginErrorKind.NotStarted or PluginErrorKind.Overloaded => StatusCodes.Status503ServiceUnavailable,
        PluginErrorKind.Cancelled => StatusCodes.Status499ClientClosedRequest,
        PluginErrorKind.PermissionDenied => StatusCodes.Status403Forbidden,
        PluginErrorKind.Blocked => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static IResult TooLarge(HttpContext context, WebSampleOptions web)
    {
        // The rest of the body stays unread: close the connection rather than have the next request read it.
        context.Response.Headers.Connection = "close";
        return Problem(StatusCodes.Status413PayloadTooLarge, "PayloadTooLarge", $"the body is larger than {web.MaxRequestBodyBytes} bytes");
    }

    private static IResult Problem(int status, string kind, string detail) =>
        Results.Problem(detail: detail, statusCode: status, extensions: new Dictionary<string, object?> { ["kind"] = kind });
}
