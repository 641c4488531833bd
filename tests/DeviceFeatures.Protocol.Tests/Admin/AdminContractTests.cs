using System.Text.Json;
using DeviceFeatures.Protocol.Admin;

namespace DeviceFeatures.Protocol.Tests.Admin;

/// <summary>
/// The admin API's JSON as docs/admin-api.md shows it (compacted): each contract reads it and writes it back byte for
/// byte, so the server, the SDK and the CLI, which all use this context, agree on every name and format.
/// </summary>
public sealed class AdminContractTests
{
    public static TheoryData<string, string> Documented => new()
    {
        { nameof(CreatePartnerRequest), """{"name":"Acme Health"}""" },
        {
            nameof(CreatedPartner),
            """{"client_id":"5f5cec5bbd3989f6eb270e0e8febe4c93ca96cdd4ee2bb31f7ac2e3013f9f6ce","client_secret":"39500a2c9e721268ac81941310ea726b3cf9f11fa97f97961fc2b595de8deb19","name":"Acme Health"}"""
        },
        {
            nameof(PartnerList),
            """{"partners":[{"client_id":"demo-partner","name":"Demo partner","status":"active","created_at":"2026-11-24T09:00:00+00:00","updated_at":"2026-11-24T09:00:00+00:00","requests_per_minute":120,"default_rate_limit":true,"previous_secret_expires_at":null,"callback_url":null}]}"""
        },
        { nameof(RotateSecretRequest), """{"overlap_seconds":600}""" },
        { nameof(CallbackRequest), """{"url":"https://partner.example/devicefeatures/events"}""" },
        {
            nameof(ChangeEventPage),
            """{"events":[{"event_id":"5f0c9a3e2b7d4e18a6c1f2d3b4a59687","client_id":"demo-partner","type":"feature.changed","userid":1,"model":17,"feature_name":"feature_eyes_closed_mode","active":true,"mac_address":null,"version":null,"reason":null,"devices":[{"mac_address":"00:24:e4:12:34:56","version":3}],"created_at":"2026-11-24T09:00:00+00:00","state":"parked","attempts":10,"next_attempt_at":null,"last_error":"HTTP 503","delivered_at":null}],"next_after":null}"""
        },
        {
            nameof(PartnerSecret),
            """{"client_id":"5f5cec5bbd3989f6eb270e0e8febe4c93ca96cdd4ee2bb31f7ac2e3013f9f6ce","client_secret":"3f4ace6274e3f30164dfd2ded99afc195bcb6db77d392a799599a737d92d8a09","previous_secret_expires_at":"2026-11-24T10:00:00+00:00"}"""
        },
        { nameof(RateLimitRequest), """{"requests_per_minute":600}""" },
        {
            nameof(EntitlementList),
            """{"client_id":"demo-partner","entitlements":[{"client_id":"demo-partner","feature_name":"feature_esc","granted_at":"2026-11-24T09:05:00+00:00"}]}"""
        },
        {
            nameof(CreateUserRequest),
            """{"client_id":"demo-partner","devices":[{"mac_address":"00:24:E4:12:34:56","model":17,"market":"us"}]}"""
        },
        { nameof(CreatedUser), """{"userid":2}""" },
        {
            nameof(User),
            """{"userid":1,"client_id":"demo-partner","created_at":"2026-11-24T09:00:00+00:00","devices":[{"mac_address":"00:24:e4:de:00:17","model":17,"model_name":"Body Pro 2","market":"EU","linked_at":"2026-11-24T09:00:00+00:00","programme_state":"PENDING_TERMINATION","termination_date":"2026-12-24T09:00:00+00:00","features":[{"feature_name":"feature_pwv","active":true,"source":"programme","choice":null,"default_on":false,"restriction":null,"programme_choice":true}]},{"mac_address":"00:24:e4:de:00:47","model":47,"model_name":"BPM Pro 2","market":"EU","linked_at":"2026-11-24T09:00:00+00:00","programme_state":"ACTIVE","termination_date":null,"features":[]}]}"""
        },
        {
            nameof(UserFeatureState),
            """{"userid":1,"client_id":"demo-partner","devices":[{"mac_address":"00:24:e4:de:00:17","model":17,"model_name":"Body Pro 2","market":"EU","features":[{"feature_name":"feature_muscle_mass","active":true,"source":"default","choice":null,"default_on":true,"restriction":null,"programme_choice":null},{"feature_name":"feature_eyes_closed_mode","active":true,"source":"choice","choice":true,"default_on":false,"restriction":null,"programme_choice":false},{"feature_name":"feature_pwv","active":true,"source":"programme","choice":null,"default_on":false,"restriction":null,"programme_choice":true},{"feature_name":"feature_esc","active":false,"source":"default","choice":null,"default_on":false,"restriction":"gated feature not granted to the partner","programme_choice":null}],"programme_state":"ACTIVE","termination_date":null,"sync":{"config_version":7,"last_seen_at":"2026-11-24T09:15:02+00:00","firmware":"2.3.1","reported_version":7,"reported_at":"2026-11-24T09:15:00+00:00","features":[{"feature_name":"feature_eyes_closed_mode","status":"in_sync","active":true,"version":7,"reported_version":7,"reported_active":true,"reason":null,"reported_at":"2026-11-24T09:15:00+00:00"},{"feature_name":"feature_pwv","status":"sync_failed","active":true,"version":7,"reported_version":7,"reported_active":null,"reason":"sensor missing","reported_at":"2026-11-24T09:15:00+00:00"}]}}],"pending_choices":[{"model":63,"feature_name":"feature_sleep_rx","active":false,"updated_at":"2026-11-24T09:10:00+00:00"}]}"""
        },
        { nameof(ProgrammeChoiceRequest), """{"active":true}""" },
        {
            nameof(ProgrammeChoiceList),
            """{"client_id":"demo-partner","choices":[{"client_id":"demo-partner","model":17,"model_name":"Body Pro 2","feature_name":"feature_pwv","active":true,"updated_at":"2026-11-24T09:05:00+00:00"}]}"""
        },
        {
            nameof(AuditPage),
            """{"events":[{"id":4,"occurred_at":"2026-11-24T09:12:00+00:00","kind":"feature.enabled","actor":"demo-partner","client_id":"demo-partner","userid":1,"model":17,"feature_name":"feature_eyes_closed_mode","old_value":null,"new_value":true,"request_id":"0HN8F2K3L4M5N:00000002","detail":"first recorded choice; catalog default was off"}],"next_after":null}"""
        },
        {
            nameof(AuditEvent),
            """{"id":2,"occurred_at":"2026-11-24T09:00:00+00:00","kind":"user.created","actor":"admin","client_id":"demo-partner","userid":1,"model":null,"feature_name":null,"old_value":null,"new_value":null,"request_id":"demo-seed","detail":"00:24:e4:de:00:17 model 17 EU, 00:24:e4:de:00:47 model 47 EU"}"""
        },
        { nameof(AdminProblem), """{"type":null,"title":"Not Found","status":404,"detail":"No user has userid 7.","code":"user_not_found"}""" },
    };

    [Theory]
    [MemberData(nameof(Documented))]
    public void DocumentedJson_ReadsAndWritesBackByteForByte(string contract, string json)
    {
        var type = AdminJsonContext.Default.GetTypeInfo(typeof(AdminJsonContext).Assembly.GetType($"{typeof(AdminJsonContext).Namespace}.{contract}", throwOnError: true)!)!;
        var value = JsonSerializer.Deserialize(json, type);
        Assert.NotNull(value);
        Assert.Equal(json, JsonSerializer.Serialize(value, type));
    }

    [Fact]
    public void EveryContractOfTheNamespace_IsInTheContext()
    {
        var records = typeof(AdminJsonContext).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == typeof(AdminJsonContext).Namespace && t.GetMethod("<Clone>$") is not null).ToArray();
        Assert.Contains(typeof(DeviceLink), records);
        Assert.All(records, t => Assert.NotNull(AdminJsonContext.Default.GetTypeInfo(t)));
    }

    [Fact]
    public void Partner_IsWrittenInSnakeCase_WithUtcOffsets()
    {
        var at = new DateTimeOffset(2026, 11, 24, 9, 0, 0, 500, TimeSpan.Zero);
        var json = JsonSerializer.Serialize(new Partner("p", "Acme", "suspended", at, at, 0, false, null), AdminJsonContext.Default.Partner);
        Assert.Equal(
            """{"client_id":"p","name":"Acme","status":"suspended","created_at":"2026-11-24T09:00:00.5+00:00","updated_at":"2026-11-24T09:00:00.5+00:00","requests_per_minute":0,"default_rate_limit":false,"previous_secret_expires_at":null,"callback_url":null}""",
            json);
    }

    [Fact]
    public void Requests_WithMissingFields_ReadAsNull_ForTheServerToNameThem()
    {
        var user = JsonSerializer.Deserialize("""{"devices":[{"mac_address":"nope"},null]}""", AdminJsonContext.Default.CreateUserRequest)!;
        Assert.Null(user.ClientId);
        Assert.Equal(new DeviceLink("nope", null, null), user.Devices![0]);
        Assert.Null(user.Devices[1]);
        Assert.Null(JsonSerializer.Deserialize("{}", AdminJsonContext.Default.CreatePartnerRequest)!.Name);
        Assert.Null(JsonSerializer.Deserialize("""{"requests_per_minute":null}""", AdminJsonContext.Default.RateLimitRequest)!.RequestsPerMinute);
    }

    [Fact]
    public void Problem_AsTheServerWritesIt_IsReadWithItsCode_IgnoringTheMembersItAdds()
    {
        var problem = JsonSerializer.Deserialize(
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.2","title":"Unauthorized","status":401,"detail":"The request has no admin key.","code":"admin_key_missing","traceId":"00-ab-cd-00"}""",
            AdminJsonContext.Default.AdminProblem)!;
        Assert.Equal(401, problem.Status);
        Assert.Equal(AdminProblemCodes.AdminKeyMissing, problem.Code);
        Assert.Equal("The request has no admin key.", problem.Detail);
    }
}
