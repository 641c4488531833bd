using System.Globalization;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Device;

/// <summary>
/// Another partner's user or device must not be told from a missing one by the time of the answer: a call never
/// waits for a lock on a row that is not its partner's. Each test holds that row's lock from a session of its own
/// (as the owner's own change would), shows that the owner's call does wait for it, and that the other partner's
/// call is answered while the lock is still held. PostgreSQL only: SQLite has one writer and no row locks.
/// </summary>
[NeedsPostgres]
public sealed class ForeignRowLockTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    // Not a timing: how long a call that should not wait at all may take before the test gives up on it.
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(15);

    private readonly PostgresServer _server = server.OrSkip();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("enablefeature")]
    [InlineData("disablefeature")]
    public async Task AnotherPartnersUser_WhileItsRowIsLocked_IsAnsweredAsMissing_WithoutWaitingForTheLock(string action)
    {
        var owner = await _server.CreatePartnerAsync();
        var other = await _server.CreatePartnerAsync();
        var foreign = await other.SignedAsync(action, TestPartner.Feature(owner.UserId, 17, "feature_pacemaker"));
        var own = await owner.SignedAsync(action, TestPartner.Feature(owner.UserId, 17, "feature_pacemaker"));

        await WhileLockedAsync(
            $"SELECT userid FROM users WHERE userid = {owner.UserId.ToString(CultureInfo.InvariantCulture)} FOR UPDATE",
            owner, own, other, foreign,
            answer =>
            {
                Assert.Equal(247, answer.Status);
                Assert.Equal($"Invalid Params: the userid provided is absent, or incorrect (userid {owner.UserId} is not one of your users)", answer.Error);
            });
    }

    [Fact]
    public async Task AnotherPartnersDevice_WhileItsRowIsLocked_IsAnsweredAsMissing_WithoutWaitingForTheLock()
    {
        var owner = await _server.CreatePartnerAsync();
        var other = await _server.CreatePartnerAsync();
        var mac = Sql.Text(_server, $"SELECT mac_address FROM devices WHERE userid = {owner.UserId.ToString(CultureInfo.InvariantCulture)} AND model = 17");
        var business = new Dictionary<string, string> { ["mac_address"] = mac, ["status"] = "STANDBY" };
        var foreign = await other.SignedAsync("endpartnerprogram", business);
        var own = await owner.SignedAsync("endpartnerprogram", business);

        await WhileLockedAsync(
            $"SELECT mac_address FROM device_inventory WHERE mac_address = '{mac}' FOR UPDATE",
            owner, own, other, foreign,
            answer =>
            {
                Assert.Equal(510, answer.Status);
                Assert.Equal($"Invalid Params: mac_address {mac} is not one of your devices", answer.Error);
            });
    }

    /// <summary>
    /// Holds the lock <paramref name="lockSql"/> takes; the owner's call must wait for it (so the lock is the one the
    /// server takes), the other partner's call must be answered before it is released.
    /// </summary>
    private async Task WhileLockedAsync(
        string lockSql,
        TestPartner owner,
        Dictionary<string, string> ownCall,
        TestPartner other,
        Dictionary<string, string> foreignCall,
        Action<WireAnswer> checkForeignAnswer)
    {
        using var blocker = _server.Database.Open();
        using var transaction = blocker.BeginTransaction();
        PostgresLocks.Execute(blocker, lockSql);

        var ownAnswer = owner.PostFormAsync("/v2/device", ownCall);
        await PostgresLocks.WaitForSessionWaitingOnALockAsync(blocker, ownAnswer, transaction);

        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        giveUp.CancelAfter(GiveUpAfter);
        var foreignAnswer = other.PostFormAsync("/v2/device", foreignCall);
        var first = await Task.WhenAny(foreignAnswer, Task.Delay(Timeout.Infinite, giveUp.Token));
        var answeredWhileLocked = first == foreignAnswer;
        var ownStillWaiting = !ownAnswer.IsCompleted;

        // Released only now: an answer that came before this line came while the lock was held.
        transaction.Rollback();
        Assert.True(answeredWhileLocked, "The call about another partner's row waited for the lock held on that row.");
        Assert.True(ownStillWaiting, "The owner's call ended while the lock was held: the test held the wrong lock.");
        checkForeignAnswer(await foreignAnswer);
        Assert.Equal(0, (await ownAnswer).Status);
    }
}
