using System.Text.Json.Nodes;
using DeviceFeatures.Protocol.Parameters;
using Microsoft.OpenApi;

namespace DeviceFeatures.Server.OpenApi;

/// <summary>One parameter of a wire action, named and typed as in Withings' OpenAPI.</summary>
internal sealed record WireParameter(string Name, JsonSchemaType Type, bool Required, string Description, string? Format = null, string[]? Values = null);

/// <summary>
/// What the wire document says about one action beyond what the table knows (its name and how it is authenticated):
/// Withings' operationId and summary, the action's own parameters, and the shape of <c>body</c> on success.
/// </summary>
internal sealed record WireOperation(
    string OperationId,
    string Summary,
    string Description,
    bool Extension,
    WireParameter[] Parameters,
    Func<OpenApiSchema> Body);

/// <summary>
/// The descriptions of the wire actions, by service and action. Names, types and shapes are Withings' (its OpenAPI's
/// operations <c>signaturev2-getnonce</c>, <c>devicev2-*</c>, <c>userv2-*</c>, <c>oauth2-getaccesstoken</c>); where its
/// OpenAPI is silent (<c>getfeatures</c>) they follow its Features API page, and our extensions are marked.
/// docs/protocol.md is the reference for the rules; this only describes the shapes.
/// </summary>
internal static class WireOperations
{
    public static WireOperation? Find(string service, string action) =>
        Operations.TryGetValue((service, action), out var operation) ? operation : null;

    private static readonly Dictionary<(string Service, string Action), WireOperation> Operations = new()
    {
        [("signature", WireActions.GetNonce)] = new(
            "signaturev2-getnonce", "Signature v2 - Getnonce",
            "A nonce for one signed call, valid 30 minutes (docs/protocol.md, 4.1). Signed over `getnonce,{client_id},{timestamp}`.",
            false, [],
            () => Object(("nonce", Text("A random token to be used once in a signed call.")))),
        [("device", WireActions.EnableFeature)] = new(
            "devicev2-enablefeature", "Device v2 - Enablefeature",
            "Records the user's choice to turn the feature on for the devices of that model (docs/protocol.md, 4.2).",
            false, [FeatureName(required: true), UserId(), Model()], () => Object()),
        [("device", WireActions.DisableFeature)] = new(
            "devicev2-disablefeature", "Device v2 - Disablefeature",
            "Records the user's choice to turn the feature off for the devices of that model (docs/protocol.md, 4.2).",
            false, [FeatureName(required: true), UserId(), Model()], () => Object()),
        [("device", WireActions.GetFeatures)] = new(
            "devicev2-getfeatures", "Device v2 - Getfeatures",
            "The features for which a choice has been recorded for the partner's programme, for that user and model, one entry "
            + "per feature (docs/protocol.md, 4.3). A Withings action of its Features API, absent from Withings' published OpenAPI.",
            false, [UserId(), Model()],
            () => Object(("features", Array(Object(
                ("feature_name", Text("Name of the feature.")),
                ("active", Boolean("The recorded choice: true when the feature is on."))))))),
        [("device", WireActions.GetFeatureStatus)] = new(
            "devicev2-getfeaturestatus", "Device v2 - Getfeaturestatus (extension)",
            "Our extension: whether each of the user's devices of the model applied what was chosen (docs/protocol.md, section 9). "
            + "Signed like getfeatures.",
            true, [UserId(), Model(), FeatureName(required: false)],
            () => Object(("devices", Array(Object(
                ("mac_address", Text("The device's MAC address.")),
                ("last_seen", Nullable(Integer("The device's last signed request to the device API, Unix seconds.", "int64"))),
                ("firmware", Nullable(Text("The device's firmware, when known."))),
                ("features", Array(Object(
                    ("feature_name", Text("Name of the feature.")),
                    ("status", Enumeration("Whether the device runs the desired value.", "in_sync", "pending", "sync_failed", "unknown", "superseded")),
                    ("active", Boolean("The desired value, all rules applied.")),
                    ("version", Integer("The device's current configuration version.", "int64")),
                    ("reported_version", Nullable(Integer("The version of the device's last report of this feature.", "int64"))),
                    ("reported_active", Nullable(Boolean("The state the device said it runs the feature in."))),
                    ("reason", Nullable(Text("The device's reason, from its last report."))),
                    ("reported_at", Nullable(Integer("When that report was received, Unix seconds.", "int64"))))))))))),
        [("device", WireActions.EndPartnerProgram)] = new(
            "devicev2-endpartnerprogram", "Device v2 - Endpartnerprogram",
            "Moves one of the partner's devices between ACTIVE and STANDBY, or starts its termination (docs/protocol.md, 4.6).",
            false,
            [
                new(WireParameterNames.MacAddress, JsonSchemaType.String, true, "The mac address of the target device."),
                new(WireParameterNames.Status, JsonSchemaType.String, true, "The status", Values: ["ACTIVE", "STANDBY", "TERMINATED"]),
            ],
            () => Object(
                ("new_sim_status", Text("New status of the SIM.")),
                ("termination_date", Integer("Timestamp when the SIM will be terminated (only if required status was TERMINATED).", "int64")))),
        [("user", WireActions.Activate)] = new(
            "userv2-activate", "User v2 - Activate",
            "Creates (or activates again) a user with the partner's devices and returns an authorization code (docs/protocol.md, 4.7).",
            false,
            [
                new(WireParameterNames.MailingPref, JsonSchemaType.Boolean, true, "Specifies if customer accepted Withings commercial contacts."),
                new(WireParameterNames.Birthdate, JsonSchemaType.Integer, true, "Unix timestamp of user's birthdate", "int64"),
                new(WireParameterNames.Measures, JsonSchemaType.String, true, "User measures (a JSON array: the height, type 4, and the weight, type 1)."),
                new(WireParameterNames.Gender, JsonSchemaType.Integer, true, "0: man, 1: woman", "int32"),
                new(WireParameterNames.PrefLang, JsonSchemaType.String, true, "User language preference. Examples: en_EN / en_US / de_DE / es_ES / fr_FR"),
                new(WireParameterNames.UnitPref, JsonSchemaType.String, true, "Unit pref (a JSON object: weight, height, distance, temperature)."),
                new(WireParameterNames.Email, JsonSchemaType.String, true, "User's email address", "email"),
                new(WireParameterNames.Timezone, JsonSchemaType.String, true, "User's timezone. Examples: \"Europe/Paris\" / \"America/New_York\"."),
                new(WireParameterNames.ShortName, JsonSchemaType.String, true, "3 characters representing the end user."),
                new(WireParameterNames.ExternalId, JsonSchemaType.String, true, "Unique identifier used by the partner to identify the end-user."),
                new(WireParameterNames.MacAddresses, JsonSchemaType.String, true, "List of Withings device MAC addresses that will be linked to the created user (a JSON array)."),
                new(WireParameterNames.FirstName, JsonSchemaType.String, false, "User's firstname (if not set, will take the same value as shortname)"),
                new(WireParameterNames.LastName, JsonSchemaType.String, false, "User's lastname (if not set, will take the same value as shortname)"),
                new(WireParameterNames.PhoneNumber, JsonSchemaType.String, false, "Phone number in E.164 format."),
                new(WireParameterNames.RecoveryCode, JsonSchemaType.String, false, "Recovery code can be used by end user as a 2nd authentication factor."),
                new(WireParameterNames.Goals, JsonSchemaType.String, false, "Goals (a JSON object: steps, sleep, weight)."),
                new(WireParameterNames.RedirectUri, JsonSchemaType.String, false, "The URI the code's exchange must present.", "uri"),
            ],
            () => Object(
                ("user", Object(
                    ("code", Text("Authorization Code that must be used to retrieve access_token and refresh_token.")),
                    ("external_id", Text("Unique identifier used by partner to identify the end-user.")))),
                ("devices", Array(Object(
                    ("mac_address", Text("Device's MAC address.")),
                    ("type", Text("Type of the device.")),
                    ("model", Text("Device model.")),
                    ("model_id", Integer("Device model id.", "int32")),
                    ("deviceid", Text("Device id.")),
                    ("timezone", Text("Device timezone."))))))),
        [("user", WireActions.GetUser)] = new(
            "userv2-get", "User v2 - Get",
            "A user's profile, by userid and/or email; only the partner's own users (docs/protocol.md, 4.7).",
            false,
            [
                new(WireParameterNames.Email, JsonSchemaType.String, false, "User's email address", "email"),
                new(WireParameterNames.UserId, JsonSchemaType.Integer, false, "User's identifier.", "int32"),
            ],
            () => Object(("user", Object(
                ("email", Text("User's email address")),
                ("firstname", Text("User's firstname")),
                ("lastname", Text("User's lastname")),
                ("shortname", Text("User's shortname")),
                ("gender", Integer("User's gender (0: man, 1: woman)", "int32")),
                ("birthdate", Integer("Unix timestamp of user's birthdate", "int64")),
                ("preflang", Text("User's language preference.")),
                ("timezone", Text("User's timezone.")),
                ("mailingpref", Boolean("User consent to receiving sales and marketing communication.")),
                ("unit_pref", Object(
                    ("weight", Integer("Weight unit code.", "int32")),
                    ("height", Integer("Height unit code.", "int32")),
                    ("temperature", Integer("Temperature unit code.", "int32")),
                    ("distance", Integer("Distance unit code.", "int32")))),
                ("phonenumber", Text("User's phone number (only if set).")))))),
        [("user", WireActions.GetDevice)] = new(
            "userv2-getdevice", "User v2 - Getdevice",
            "The devices linked to the access token's user (docs/protocol.md, 4.7).",
            false, [],
            () => Object(("devices", Array(Object(
                ("type", Text("Type of the device.")),
                ("model", Text("Device model.")),
                ("model_id", Integer("Device model id.", "int32")),
                ("deviceid", Text("Device id.")),
                ("hash_deviceid", Text("Hashed device id.")),
                ("mac_address", Text("Device's MAC address.")),
                ("fw", Text("Device firmware version (when known).")),
                ("timezone", Text("Device timezone.")),
                ("sim_status", Enumeration("The device's state in the partner's programme.", "ACTIVE", "STANDBY", "PENDING_TERMINATION", "TERMINATED"))))))),
        [("oauth2", WireActions.RequestToken)] = new(
            "oauth2-getaccesstoken", "OAuth 2.0 - Request Access and Refresh Tokens",
            "Exchanges an authorization code, or a refresh token, for tokens (docs/protocol.md, 4.7). Authenticated by "
            + "client_secret, or signed over a nonce instead (then nonce and signature replace client_secret).",
            false,
            [
                new(WireParameterNames.GrantType, JsonSchemaType.String, true, "Must take the value authorization_code or refresh_token.",
                    Values: ["authorization_code", "refresh_token"]),
                new(WireParameterNames.Code, JsonSchemaType.String, false, "Authorization Code (grant_type authorization_code)."),
                new(WireParameterNames.RedirectUri, JsonSchemaType.String, false, "The redirect URI (grant_type authorization_code).", "uri"),
                new(WireParameterNames.RefreshToken, JsonSchemaType.String, false, "Your current Refresh Token (grant_type refresh_token)."),
            ],
            () => Object(
                ("userid", Integer("The id of the user.", "int32")),
                ("access_token", Text("Your new Access Token.")),
                ("refresh_token", Text("Your Refresh Token.")),
                ("expires_in", Integer("Access token expiry delay in seconds.", "int32")),
                ("scope", Text("The scopes the user accepted.")),
                ("csrf_token", Text("A random token.")),
                ("token_type", Text("HTTP Authorization Header format: Bearer")))),
    };

    private static WireParameter UserId() => new(WireParameterNames.UserId, JsonSchemaType.Integer, true, "User's identifier.", "int32");

    private static WireParameter Model() => new(WireParameterNames.Model, JsonSchemaType.Integer, true, "Model integer value of a device or a consumable", "int32");

    private static WireParameter FeatureName(bool required) => new(WireParameterNames.FeatureName, JsonSchemaType.String, required,
        required ? "Name of the feature to enable / disable." : "Only this feature (optional).");

    internal static OpenApiSchema Object(params (string Name, OpenApiSchema Schema)[] properties) => new()
    {
        Type = JsonSchemaType.Object,
        Properties = properties.ToDictionary(p => p.Name, p => (IOpenApiSchema)p.Schema),
    };

    internal static OpenApiSchema Array(OpenApiSchema items) => new() { Type = JsonSchemaType.Array, Items = items };

    internal static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };

    internal static OpenApiSchema Boolean(string description) => new() { Type = JsonSchemaType.Boolean, Description = description };

    internal static OpenApiSchema Integer(string description, string format) =>
        new() { Type = JsonSchemaType.Integer, Format = format, Description = description };

    private static OpenApiSchema Enumeration(string description, params string[] values) => new()
    {
        Type = JsonSchemaType.String,
        Description = description,
        Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList(),
    };

    private static OpenApiSchema Nullable(OpenApiSchema schema)
    {
        schema.Type |= JsonSchemaType.Null;
        return schema;
    }
}
