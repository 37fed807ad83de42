using System.Diagnostics;
using System.Text;
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
        var repo = FindRepoRoot();
        var feed = Directory.CreateDirectory(Path.Combine(_root, "feed")).FullName;
        Run(repo, "dotnet", "pack", Path.Combine(repo, "src", "Vyra.Sdk", "Vyra.Sdk.csproj"), "-c", "Release", "-o", feed,
            $"-p:Version={_version}", "--disable-build-servers");
        Assert.True(File.Exists(Path.Combine(feed, $"Vyra.Sdk.{_version}.nupkg")));

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
                <RuntimeIdentifier>$(NETCoreSdkRuntimeIdentifier)</RuntimeIdentifier>
                <SelfContained>false</SelfContained>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Vyra.Sdk" Version="{_version}" />
                <None Include="plugins/**" CopyToOutputDirectory="PreserveNewest" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Consumer.Plugins;

            var module = Path.Combine(AppContext.BaseDirectory, "plugins", "counter-widget", "1.0.0", "logic.wasm");
            await using var counter = CounterWidgetPlugin.Create(module, initialState: new CounterWidgetState { Start = 40 });
            await counter.StartAsync();
            Console.WriteLine($"backend={counter.Runtime.Backend} increment={counter.Increment(2)}");
            """);

        try
        {
            var output = Run(app, "dotnet", "run", "--project", Path.Combine(app, "Consumer.csproj"), "--disable-build-servers");
            Assert.Contains("backend=wasm increment=42", output);
        }
        finally
        {
            RemoveFromGlobalPackages();
        }
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
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        // The test runs inside 'dotnet test': do not hand its MSBuild settings on to the child builds.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "VSTEST_HOST_DEBUG" })
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{fileName} {string.Join(' ', arguments)}' timed out:\n{output}");
        }
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"'{fileName} {string.Join(' ', arguments)}' exited with {process.ExitCode}:\n{output}");
        return output.ToString();
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vyra.Sdk.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Vyra.Sdk.sln not found above " + AppContext.BaseDirectory);
    }
}
