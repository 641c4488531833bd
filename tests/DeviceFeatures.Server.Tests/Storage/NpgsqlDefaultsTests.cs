using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Tests.Storage;

/// <summary>The Npgsql settings the server adds to a PostgreSQL connection string, and that the string can override.</summary>
public sealed class NpgsqlDefaultsTests
{
    private static StorageOptions Postgres(string connectionString) => new() { Provider = "postgres", ConnectionString = connectionString };

    [Fact]
    public void Unset_StatementsArePrepared_AndConnectionsGoBackWithoutAReset()
    {
        var settings = Postgres("Host=db;Database=df;Username=df").PostgresSettings();
        Assert.Equal(64, settings.MaxAutoPrepare);
        Assert.True(settings.NoResetOnClose);
        Assert.Null(settings.TargetSessionAttributes);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;max auto prepare=0;NO RESET ON CLOSE=false")]
    [InlineData("Host=db;MaxAutoPrepare=0;NoResetOnClose=false")]
    public void SetInTheConnectionString_TheStringWins_InAnySpelling(string connectionString)
    {
        var settings = Postgres(connectionString).PostgresSettings();
        Assert.Equal(0, settings.MaxAutoPrepare);
        Assert.False(settings.NoResetOnClose);
    }

    [Fact]
    public void SeveralHosts_AskForThePrimary()
    {
        Assert.Equal("primary", Postgres("Host=db1,db2;Database=df").PostgresSettings().TargetSessionAttributes);
    }
}
