using Xunit;

namespace Vyra.Sdk.EndToEnd.Tests;

/// <summary>
/// The package the way a user meets it: pack Vyra.Sdk to a local folder, create a fresh console project that references
/// only that package and holds a plugin folder, build and run it. Each run packs a unique prerelease version, so a
/// package cached by an earlier run can never be served instead.
/// </summary>
public sealed class PackageTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vyra-package-test-").FullName;
    private readonly string _version = "0.0.0-test." + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public void A_fresh_project_restores_the_package_builds_its_proxy_and_runs_a_typed_call()
    {
        var repo = ChildProcess.RepoRoot();
        var feed = Pack(repo);
        AssertPackageContents(feed);
        var app = CreateConsumer(repo);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Consumer.Plugins;

            // No path: the build copied plugins/counter-widget/1.0.0 next to the app and the proxy knows that folder.
            await using var counter = CounterWidgetPlugin.Create(initialState: new CounterWidgetState { Start = 40 });
            await counter.StartAsync();
            Console.WriteLine($"backend={counter.Runtime.Backend} increment={counter.Increment(2)} folder={CounterWidgetPlugin.PluginFolder}");
            """);

        try
        {
            // Run from an unrelated working directory: the module must be found next to the app, not in the cwd.
            var elsewhere = Directory.CreateDirectory(Path.Combine(_root, "elsewhere")).FullName;
            var output = Run(elsewhere, "dotnet", "run", "--project", Path.Combine(app, "Consumer.csproj"), "--disable-build-servers");
            Assert.Contains("backend=wasm increment=42 folder=plugins/counter-widget/1.0.0", output);

            var bin = Path.Combine(app, "bin", "Debug", "net10.0");
            // The plugin folder landed in the output under its project-relative path, without any item in the project.
            Assert.True(File.Exists(Path.Combine(bin, "plugins", "counter-widget", "1.0.0", "logic.wasm")));
            Assert.True(File.Exists(Path.Combine(bin, "plugins", "counter-widget", "1.0.0", "manifest.yaml")));

            // Wasmtime natives for this machine's platform only (the SDK's RID), not all six.
            var natives = Directory.GetDirectories(Path.Combine(bin, "runtimes")).Select(Path.GetFileName).ToArray();
            Assert.Single(natives);
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(bin, "runtimes", natives[0]!), "*wasmtime*", SearchOption.AllDirectories));
            var megabytes = Directory.GetFiles(bin, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / (1024.0 * 1024.0);
            Assert.True(megabytes < 60, $"bin holds {megabytes:F0} MB");

            // An older compiler (simulated: the SDK's CompilerApiVersion overridden) gets one clear message, not a
            // mysterious missing type only.
            var old = RunUnchecked(app, "dotnet", "build", Path.Combine(app, "Consumer.csproj"), "-p:CompilerApiVersion=roslyn4.8",
                "--disable-build-servers", "-o", Path.Combine(_root, "old-compiler-out"));
            Assert.Contains("VYRA100", old.Output);
            Assert.Contains("needs the C# compiler from Roslyn 4.14 or newer", old.Output);
            Assert.Contains("roslyn4.8", old.Output);
        }
        finally
        {
            RemoveFromGlobalPackages();
        }
    }

    /// <summary>What nuget.org shows and the build needs: metadata, icon, README, the generator for Roslyn 4.14+.</summary>
    private void AssertPackageContents(string feed)
    {
        using var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"Vyra.Sdk.{_version}.nupkg"));
        var names = package.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("analyzers/dotnet/roslyn4.14/cs/Vyra.Sdk.Generators.dll", names);
        Assert.Contains("buildTransitive/Vyra.Sdk.props", names);
        Assert.Contains("buildTransitive/Vyra.Sdk.targets", names);
        Assert.Contains("icon.png", names);
        Assert.Contains("README.md", names);
        Assert.Contains("lib/net8.0/Vyra.Sdk.dll", names);

        using var reader = new StreamReader(package.GetEntry("Vyra.Sdk.nuspec")!.Open());
        var nuspec = reader.ReadToEnd();
        Assert.Contains($"<version>{_version}</version>", nuspec);
        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
        Assert.Contains("<icon>icon.png</icon>", nuspec);
        Assert.Contains("<readme>README.md</readme>", nuspec);
        Assert.Contains("<authors>", nuspec);
        Assert.Contains("wasmtime", nuspec);
    }

    /// <summary>Packs Vyra.Sdk with this test's unique version into a fresh local feed.</summary>
    private string Pack(string repo)
    {
        var feed = Directory.CreateDirectory(Path.Combine(_root, "feed")).FullName;
        Run(repo, "dotnet", "pack", Path.Combine(repo, "src", "Vyra.Sdk", "Vyra.Sdk.csproj"), "-c", "Release", "-o", feed,
            $"-p:Version={_version}", "--disable-build-servers");
        Assert.True(File.Exists(Path.Combine(feed, $"Vyra.Sdk.{_version}.nupkg")));
        return feed;
    }

    /// <summary>
    /// A console project outside the repository that knows nothing but the package: no RuntimeIdentifier, no copy
    /// items; the package's buildTransitive files must make it small and runnable.
    /// </summary>
    private string CreateConsumer(string repo)
    {
        var feed = Path.Combine(_root, "feed");
        var app = Directory.CreateDirectory(Path.Combine(_root, "app")).FullName;
        var plugin = Directory.CreateDirectory(Path.Combine(app, "plugins", "counter-widget", "1.0.0")).FullName;
        // An upstream-shaped folder: the module and manifest.yaml only. The proxy and its state type (init's arguments,
        // since upstream declares no initial_state) come from the YAML.
        foreach (var file in new[] { "logic.wasm", "manifest.yaml" })
        {
            File.Copy(Path.Combine(repo, "samples", "plugins", "counter-widget", "1.0.0", file), Path.Combine(plugin, file));
        }
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <RootNamespace>Consumer</RootNamespace>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Vyra.Sdk" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        return app;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The unique test version would otherwise stay in the NuGet cache forever.</summary>
    private void RemoveFromGlobalPackages()
    {
        var global = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var folder = Path.Combine(global, "vyra.sdk", _version);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        var parent = Path.GetDirectoryName(folder)!;
        if (Directory.Exists(parent) && !Directory.EnumerateFileSystemEntries(parent).Any()) Directory.Delete(parent);
    }

    private static string Run(string workingDirectory, string fileName, params string[] arguments)
    {
        var (exitCode, output) = RunUnchecked(workingDirectory, fileName, arguments);
        Assert.True(exitCode == 0, $"'{fileName} {string.Join(' ', arguments)}' exited with {exitCode}:\n{output}");
        return output;
    }

    private static (int ExitCode, string Output) RunUnchecked(string workingDirectory, string fileName, params string[] arguments)
    {
        var (exitCode, output, errors) = ChildProcess.Run(workingDirectory, TimeSpan.FromMinutes(4), fileName, arguments);
        return (exitCode, output + errors);
    }
}
