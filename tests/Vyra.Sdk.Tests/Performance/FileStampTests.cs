using System.Text;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Performance;

/// <summary>
/// A start decides from file stamps whether its manifest and module are unchanged (one <c>stat(2)</c> each, asked of the
/// C library directly). The stamp must say exactly what <see cref="FileInfo"/> says, for every kind of path a plugin
/// folder can hold, and a restart must see a plugin edited in place.
/// </summary>
public class FileStampTests
{
    private static FileStamp ByFileInfo(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : FileStamp.None;
    }

    [Fact]
    public void A_stamp_is_what_FileInfo_says_for_a_file_a_folder_and_nothing_and_a_link_stamps_its_target()
    {
        var folder = TempFolder.Create("stamps");
        try
        {
            var file = Path.Combine(folder, "metadata.json");
            File.WriteAllText(file, """{"id":"x"}""");
            // A time with a sub-second part, as file systems with nanosecond times keep it.
            var when = new DateTime(2026, 11, 30, 12, 34, 56, DateTimeKind.Utc).AddTicks(1234567);
            File.SetLastWriteTimeUtc(file, when);
            var link = Path.Combine(folder, "logic.wasm");
            File.CreateSymbolicLink(link, file);
            var dangling = Path.Combine(folder, "manifest.yaml");
            File.CreateSymbolicLink(dangling, Path.Combine(folder, "gone"));
            var sub = Directory.CreateDirectory(Path.Combine(folder, "sub")).FullName;

            Assert.True(UnixFileStatus.Available, "this suite runs on Linux x64/arm64, where stat(2) is asked directly");
            foreach (var path in new[] { file, sub, Path.Combine(folder, "missing.json") })
            {
                var stamp = FileStamp.Of(path);
                Assert.Equal(ByFileInfo(path), stamp with { Device = 0, Inode = 0 });
            }
            Assert.Equal(new FileStamp(10, when), FileStamp.Of(file) with { Device = 0, Inode = 0 });
            Assert.NotEqual(0UL, FileStamp.Of(file).Inode);
            Assert.Equal(FileStamp.None, FileStamp.Of(sub));
            Assert.Equal(FileStamp.None, FileStamp.Of(dangling));

            // A link is stamped as its target (FileInfo would describe the link: an edit of the target would go unseen).
            Assert.Equal(FileStamp.Of(file), FileStamp.Of(link));
            File.WriteAllText(file, """{"id":"y"}""");
            File.SetLastWriteTimeUtc(file, when.AddSeconds(1));
            Assert.Equal(when.AddSeconds(1), FileStamp.Of(link).LastWriteUtc);

            // Pointed at a copy with the same length and write time: the inode tells them apart.
            var copy = Path.Combine(folder, "copy.json");
            File.Copy(file, copy);
            File.SetLastWriteTimeUtc(copy, when.AddSeconds(1));
            var before = FileStamp.Of(link);
            File.Delete(link);
            File.CreateSymbolicLink(link, copy);
            var after = FileStamp.Of(link);
            Assert.Equal((before.Length, before.LastWriteUtc), (after.Length, after.LastWriteUtc));
            Assert.NotEqual(before, after);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public void Odd_paths_are_stamped_or_name_no_file_and_never_throw()
    {
        var folder = TempFolder.Create("stamps");
        try
        {
            // Past the stack buffer for the path's bytes (1 KiB): a deep folder chain to a real file.
            var deep = folder;
            while (Encoding.UTF8.GetByteCount(deep) < 1500) deep = Path.Combine(deep, new string('d', 100));
            Directory.CreateDirectory(deep);
            var far = Path.Combine(deep, "metadata.json");
            File.WriteAllText(far, "{}");
            var unicode = Path.Combine(folder, "plugin-\u00e9\u6f22\ud83d\ude00.json");
            File.WriteAllText(unicode, "[1]");

            Assert.Equal(ByFileInfo(far), FileStamp.Of(far) with { Device = 0, Inode = 0 });
            Assert.Equal(2, FileStamp.Of(far).Length);
            Assert.Equal(ByFileInfo(unicode), FileStamp.Of(unicode) with { Device = 0, Inode = 0 });
            Assert.Equal(3, FileStamp.Of(unicode).Length);
            // A NUL would make the C library stat a shorter path (here: the folder's file): it names no file at all.
            Assert.Equal(FileStamp.None, FileStamp.Of(unicode + "\0.json"));
            Assert.Equal(FileStamp.None, FileStamp.Of(Path.Combine(folder, new string('x', 300))));
            Assert.Equal(FileStamp.None, FileStamp.Of(""));
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    private const string Wat = """
        (module
          (func (export "v") (result i32) (i32.const 7)))
        """;

    [Fact]
    public async Task A_restart_sees_a_module_and_a_manifest_edited_in_place()
    {
        using var plugin = TempPlugin.FromWat(Wat, """{"id":"edited","version":"1.0.0","exports":[{"name":"v","args":[],"returns":"i32"}]}""");
        await using var runtime = new WasmRuntime("edited", plugin.ModulePath);
        await runtime.StartAsync();
        Assert.Equal(7, (int)(await runtime.CallAsync("v"))["result"]!);

        // The module rewritten in place (a length of its own: a write within the file system's time granularity may
        // keep the write time, and that case is no different from before), then the manifest.
        await runtime.StopAsync();
        File.WriteAllText(plugin.ModulePath, Wat.Replace("i32.const 7", "i32.const 80"));
        await runtime.StartAsync();
        Assert.Equal(80, (int)(await runtime.CallAsync("v"))["result"]!);

        await runtime.StopAsync();
        File.WriteAllText(plugin.ManifestPath, """{"id":"edited","version":"1.0.10","exports":[{"name":"v","args":[],"returns":"i32"}]}""");
        await runtime.StartAsync();
        Assert.Equal("1.0.10", runtime.Manifest!.Version);
    }
}
