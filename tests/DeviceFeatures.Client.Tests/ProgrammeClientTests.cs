using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Client.Tests;

/// <summary>endpartnerprogram and the programme choices, through the SDKs, against the real server.</summary>
public sealed class ProgrammeClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> MacOfAsync(DeviceFeaturesTestServer server, int model) =>
        (await server.Admin.GetUserAsync(server.UserId, Ct)).Devices.First(d => d.Model == model).MacAddress;

    [Fact]
    public async Task EndPartnerProgram_StandbyTerminateAndTheRefusals_AreTyped()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        await using var server = await DeviceFeaturesTestServer.StartAsync(new() { TimeProvider = time }, Ct);
        var mac = await MacOfAsync(server, 17);
        var client = server.Client;

        Assert.Equal(new PartnerProgramResult(SimStatus.Standby, null), await client.EndPartnerProgramAsync(mac, SimStatus.Standby, Ct));

        var terminated = await client.EndPartnerProgramAsync(mac.Replace(":", "-", StringComparison.Ordinal), SimStatus.Terminated, Ct);
        Assert.Equal(SimStatus.PendingTermination, terminated.NewSimStatus);
        Assert.Equal(time.GetUtcNow().AddDays(30), terminated.TerminationDate);

        var refused = await Assert.ThrowsAsync<BadStateException>(() => client.EndPartnerProgramAsync(mac, SimStatus.Active, Ct));
        Assert.Equal(524, refused.Status);
        Assert.Contains("PENDING_TERMINATION", refused.Error);

        var unknown = await Assert.ThrowsAsync<InvalidParamsException>(() => client.EndPartnerProgramAsync("00:24:e4:ff:ff:ff", SimStatus.Standby, Ct));
        Assert.Equal(510, unknown.Status);

        time.Advance(TimeSpan.FromDays(30));
        Assert.Equal("TERMINATED", (await server.Admin.GetDeviceAsync(mac, Ct)).ProgrammeState);
        await Assert.ThrowsAsync<BadStateException>(() => client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct));
        Assert.Empty(await client.GetFeaturesAsync(server.UserId, DeviceModel.BodyPro2, Ct));
    }

    [Fact]
    public async Task ProgrammeChoices_SetListClear_AndGetFeaturesMergesThem()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var admin = server.Admin;
        var clientId = server.DefaultPartner.ClientId;

        var choice = await admin.SetProgrammeChoiceAsync(clientId, 17, "feature_pwv", true, Ct);
        Assert.Equal((17, "feature_pwv", true), (choice.Model, choice.FeatureName, choice.Active));
        await admin.SetProgrammeChoiceAsync(clientId, 17, "feature_fat_mass", false, Ct);
        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.FatMass, Ct);

        Assert.Equal(["feature_fat_mass", "feature_pwv"], (await admin.ListProgrammeChoicesAsync(clientId, Ct)).Select(c => c.FeatureName));
        Assert.Equal([new FeatureChoice(FeatureName.FatMass, true), new FeatureChoice(new FeatureName("feature_pwv"), true)],
            await server.Client.GetFeaturesAsync(server.UserId, DeviceModel.BodyPro2, Ct));

        var state = await admin.GetUserFeaturesAsync(server.UserId, Ct);
        var pwv = state.Devices.Single(d => d.Model == 17).Features.Single(f => f.FeatureName == "feature_pwv");
        Assert.Equal((true, FeatureSources.Programme), (pwv.Active, pwv.Source));

        await admin.ClearProgrammeChoiceAsync(clientId, 17, "feature_pwv", Ct);
        Assert.Equal("feature_fat_mass", Assert.Single(await admin.ListProgrammeChoicesAsync(clientId, Ct)).FeatureName);

        var refused = await Assert.ThrowsAsync<DeviceFeaturesAdminException>(() => admin.SetProgrammeChoiceAsync(clientId, 17, "feature_esc", true, Ct));
        Assert.Equal((403, AdminProblemCodes.FeatureNotGranted), (refused.HttpStatus, refused.Code));
    }
}
