using System.Text.RegularExpressions;

namespace DeviceFeatures.Load.Tests;

public sealed partial class PgBenchTests
{
    private static readonly string[] ServerStatementFiles =
    [
        "src/DeviceFeatures.Server/Signature/NonceStatements.cs",
        "src/DeviceFeatures.Server/Device/ChoiceStatements.cs",
        "src/DeviceFeatures.Server/Audit/AuditStatements.cs",
    ];

    // pgbench 15.18 as it printed the anchor's pipelined script here.
    private const string Pgbench15 = """
        pgbench (15.18 (Debian 15.18-0+deb12u1))
        transaction type: /tmp/devicefeatures-pgbench-x/pipelined.sql
        scaling factor: 1
        query mode: prepared
        number of clients: 32
        number of threads: 2
        maximum number of tries: 1
        duration: 3 s
        number of transactions actually processed: 11949
        number of failed transactions: 0 (0.000%)
        latency average = 8.038 ms
        initial connection time = 41.773 ms
        tps = 3983.102771 (without initial connection time)
        """;

    // pgbench 16 prints the same summary; here with failures counted (a serialization retry budget exhausted).
    private const string Pgbench16 = """
        pgbench (16.4 (Ubuntu 16.4-1.pgdg22.04+1))
        transaction type: anchor.sql
        scaling factor: 1
        query mode: prepared
        number of clients: 32
        number of threads: 2
        maximum number of tries: 1
        duration: 10 s
        number of transactions actually processed: 71234
        number of failed transactions: 12 (0.017%)
        latency average = 4.487 ms
        initial connection time = 45.361 ms
        tps = 7131.650153 (without initial connection time)
        """;

    // pgbench 13 and earlier: two tps lines, with and without the time spent connecting.
    private const string Pgbench13 = """
        transaction type: anchor.sql
        scaling factor: 1
        query mode: prepared
        number of clients: 32
        number of threads: 2
        duration: 10 s
        number of transactions actually processed: 34012
        latency average = 9.411 ms
        tps = 3377.120311 (including connections establishing)
        tps = 3400.554015 (excluding connections establishing)
        """;

    // An aborted run: standard output has no rate, standard error says why.
    private const string AbortedOutput = """
        pgbench (15.18 (Debian 15.18-0+deb12u1))
        transaction type: /tmp/anchor_pipe.sql
        scaling factor: 1
        query mode: prepared
        number of clients: 2
        number of threads: 2
        maximum number of tries: 1
        duration: 1 s
        number of transactions actually processed: 0
        number of failed transactions: 0 (NaN%)
        """;

    private const string AbortedError = """
        pgbench: error: client 1 script 0 aborted in command 10 query 0: ERROR:  insert or update on table "choices" violates foreign key constraint "choices_userid_fkey"
        DETAIL:  Key (userid)=(1814) is not present in table "users".
        pgbench: error: Run was aborted; the above results are incomplete.
        """;

    [Fact]
    public void Parse_Pgbench15_ReadsRateLatencyAndTransactions()
    {
        var output = PgBenchOutput.Parse(Pgbench15);

        Assert.Equal(new PgBenchOutput(3983.102771, 8.038, 11_949, 0), output);
    }

    [Fact]
    public void Parse_Pgbench16_CountsFailedTransactions()
    {
        var output = PgBenchOutput.Parse(Pgbench16);

        Assert.Equal(new PgBenchOutput(7131.650153, 4.487, 71_234, 12), output);
    }

    [Fact]
    public void Parse_Pgbench13_TakesTheRateExcludingConnections()
    {
        var output = PgBenchOutput.Parse(Pgbench13);

        Assert.Equal(new PgBenchOutput(3400.554015, 9.411, 34_012, 0), output);
    }

    [Fact]
    public void Parse_AbortedRun_HasNoResult_AndTheFirstErrorIsKept()
    {
        Assert.Null(PgBenchOutput.Parse(AbortedOutput));
        Assert.StartsWith("pgbench: error: client 1 script 0 aborted in command 10 query 0: ERROR:  insert or update on table \"choices\"",
            PgBenchOutput.FirstError(AbortedError), StringComparison.Ordinal);
        Assert.Null(PgBenchOutput.FirstError(""));
    }

    [Fact]
    public void Scripts_OneStatementPerRoundTrip_IsOneTransactionWithoutPipeline()
    {
        var script = PgBenchScripts.Render(PgBenchMode.OneStatementPerRoundTrip);
        var lines = Lines(script);

        Assert.DoesNotContain("\\startpipeline", script, StringComparison.Ordinal);
        Assert.DoesNotContain("\\endpipeline", script, StringComparison.Ordinal);
        Assert.Equal(["BEGIN;", "INSERT INTO used_nonces", "INSERT INTO choices", "INSERT INTO audit_events", "END;"], Statements(lines));
    }

    [Fact]
    public void Scripts_Pipelined_WrapsTheSameTransactionInOnePipeline()
    {
        var pipelined = Lines(PgBenchScripts.Render(PgBenchMode.Pipelined));
        var plain = Lines(PgBenchScripts.Render(PgBenchMode.OneStatementPerRoundTrip));

        var start = Array.IndexOf(pipelined, "\\startpipeline");
        var end = Array.IndexOf(pipelined, "\\endpipeline");
        Assert.True(start >= 0 && end == pipelined.Length - 1, "the pipeline closes the script");
        Assert.Equal("BEGIN;", pipelined[start + 1]);
        Assert.Equal("END;", pipelined[end - 1]);
        Assert.Equal(plain, pipelined.Where(l => l is not "\\startpipeline" and not "\\endpipeline"));
    }

    [Fact]
    public void Scripts_UseTheVariablesTheToolPasses_AndTheLoadsFeatureAndModel()
    {
        var script = PgBenchScripts.Render(PgBenchMode.Pipelined);

        Assert.Contains($"\\set uid random(:{PgBenchScripts.FirstUserVariable}, :{PgBenchScripts.LastUserVariable})", script, StringComparison.Ordinal);
        Assert.Contains($":{PgBenchScripts.PartnerVariable}, :{PgBenchScripts.PartnerVariable}, :uid, 17, 'feature_eyes_closed_mode'", script, StringComparison.Ordinal);
        Assert.Contains("VALUES (:uid, 17, 'feature_eyes_closed_mode', :active::boolean,", script, StringComparison.Ordinal);

        // 20 bytes like the server's nonces: the current second (4) and two random 8-byte numbers.
        Assert.Contains("int4send(extract(epoch FROM now())::integer) || int8send(:r1) || int8send(:r2)", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Scripts_StatementsAreTheServers()
    {
        // The anchor is only the equivalent transaction while its statements are those the server runs: the column
        // lists and conflict clauses are compared with the server's statement declarations.
        var script = PgBenchScripts.Render(PgBenchMode.OneStatementPerRoundTrip);
        var server = string.Join("\n", ServerStatementFiles.Select(path => File.ReadAllText(Path.Combine(RepositoryRoot(), path))));
        server = WhiteSpace().Replace(server, " ");

        foreach (var match in InsertHead().Matches(script).Cast<Match>())
        {
            Assert.Contains(match.Value, server, StringComparison.Ordinal);
        }

        Assert.Equal(3, InsertHead().Count(script));
        Assert.Contains("ON CONFLICT (nonce) DO NOTHING", server, StringComparison.Ordinal);
        Assert.Contains("ON CONFLICT (userid, model, feature_name) DO UPDATE SET active = excluded.active, updated_at = excluded.updated_at", server, StringComparison.Ordinal);
        Assert.Contains("ON CONFLICT (nonce) DO NOTHING;", script, StringComparison.Ordinal);
        Assert.Contains("ON CONFLICT (userid, model, feature_name) DO UPDATE SET active = excluded.active, updated_at = excluded.updated_at;", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Scripts_ColumnsExistInThePostgresSchema()
    {
        var schema = string.Join("\n", Directory.GetFiles(Path.Combine(RepositoryRoot(), "src/DeviceFeatures.Server/Storage/Migrations/Postgres"), "*.sql")
            .Select(File.ReadAllText));
        var script = PgBenchScripts.Render(PgBenchMode.OneStatementPerRoundTrip);

        foreach (var match in InsertHead().Matches(script).Cast<Match>())
        {
            var table = match.Groups[1].Value;
            var create = Regex.Match(schema, $@"CREATE TABLE {table} \((.*?)\n\);", RegexOptions.Singleline);
            Assert.True(create.Success, $"no CREATE TABLE {table} in the PostgreSQL migrations");
            foreach (var column in match.Groups[2].Value.Split(", "))
            {
                Assert.Matches($@"(?m)^\s+{column}\s", create.Groups[1].Value);
            }
        }
    }

    [Fact]
    public void Scripts_PipelinedIsTheOneTheDocsShow() =>
        Assert.Contains(PgBenchScripts.Render(PgBenchMode.Pipelined), File.ReadAllText(Path.Combine(RepositoryRoot(), "docs/benchmarks.md")), StringComparison.Ordinal);

    [Fact]
    public void Arguments_CarryNoPassword_AndNameTheRunsDatabaseLast()
    {
        var connection = PgBenchConnection.From("Host=127.0.0.1;Port=55450;Username=bench;Password=hunter2;Database=devicefeatures_load_abc");
        var variables = new Dictionary<string, string> { ["partner"] = "client1", ["first_user"] = "1", ["last_user"] = "10000" };

        var arguments = PgBenchRunner.Arguments(connection, "/tmp/p.sql", clients: 32, threads: 2, seconds: 10, variables);

        Assert.Equal("hunter2", connection.Password);
        Assert.DoesNotContain(arguments, a => a.Contains("hunter2", StringComparison.Ordinal));
        Assert.Equal(
            ["-n", "-M", "prepared", "-c", "32", "-j", "2", "-T", "10", "-f", "/tmp/p.sql", "-h", "127.0.0.1", "-p", "55450", "-U", "bench",
             "-D", "partner=client1", "-D", "first_user=1", "-D", "last_user=10000", "devicefeatures_load_abc"],
            arguments);
    }

    private static string[] Lines(string script) => script.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static IEnumerable<string> Statements(string[] lines) =>
        lines.Where(l => !l.StartsWith('\\')).Select(l => l.StartsWith("INSERT", StringComparison.Ordinal) ? string.Join(' ', l.Split(' ').Take(3)) : l);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DeviceFeatures.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("no DeviceFeatures.slnx above the test's folder");
    }

    [GeneratedRegex(@"INSERT INTO (\w+) \(([\w, ]+)\)")]
    private static partial Regex InsertHead();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
