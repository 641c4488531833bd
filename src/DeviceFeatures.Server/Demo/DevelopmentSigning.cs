using System.Globalization;
using System.Text.Json.Serialization;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Partners;

namespace DeviceFeatures.Server.Demo;

/// <summary>The body of <c>POST /admin/api/dev/sign</c>: the signed fields of one wire request.</summary>
internal sealed record DevelopmentSignRequest(string? ClientId, string? Action, string? Nonce, long? Timestamp);

/// <summary>The fields signed, the text they make, and its signature under the partner's current secret.</summary>
internal sealed record DevelopmentSignResponse(string ClientId, string Action, string? Nonce, long? Timestamp, string SignedText, string Signature);

[JsonSerializable(typeof(DevelopmentSignRequest))]
[JsonSerializable(typeof(DevelopmentSignResponse))]
internal sealed partial class DevelopmentSigningJsonContext : JsonSerializerContext;

/// <summary>
/// <c>POST /admin/api/dev/sign</c>, mapped in the Development environment only: signs a wire request's fields with a
/// partner's stored secret, so that the <c>.http</c> file beside the server can send signed requests from an editor
/// that cannot compute an HMAC. An extension of ours under the admin API (admin key required), never part of the
/// Withings API: a partner signs its own requests.
/// </summary>
internal static class DevelopmentSigningEndpoints
{
    public const string Path = "/admin/api/dev/sign";

    public static IServiceCollection AddDevelopmentSigning(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, DevelopmentSigningJsonContext.Default));

    public static IEndpointRouteBuilder MapDevelopmentSigning(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            app.MapPost(Path, SignAsync).Produces<DevelopmentSignResponse>().RequireAuthorization(AdminKeyAuthenticationHandler.PolicyName).WithTags("admin").RejectControlCharacters();
        }

        return app;
    }

    internal static async Task<IResult> SignAsync(DevelopmentSignRequest? request, PartnerDirectory partners, CancellationToken ct)
    {
        if (request is not { ClientId: { Length: > 0 } clientId, Action: { Length: > 0 } action })
        {
            return AdminEndpoints.Problem(AdminError.Invalid(
                "The body must be {\"client_id\", \"action\"} with \"timestamp\" (Unix seconds) for getnonce, or \"nonce\" for any other action."));
        }

        // What the server checks: getnonce signs its timestamp, every other action the nonce it spends.
        string third;
        if (action == WireActions.GetNonce)
        {
            if (request.Timestamp is not { } timestamp || request.Nonce is not null)
            {
                return AdminEndpoints.Problem(AdminError.Invalid("getnonce signs 'timestamp' (Unix seconds), and no 'nonce'."));
            }

            third = timestamp.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            if (request.Nonce is not { Length: > 0 } nonce || request.Timestamp is not null)
            {
                return AdminEndpoints.Problem(AdminError.Invalid($"'{action}' signs 'nonce' (from getnonce), and no 'timestamp'."));
            }

            third = nonce;
        }

        if (await partners.FindAsync(clientId, ct) is not { } partner)
        {
            return AdminEndpoints.Problem(AdminError.PartnerNotFound(clientId));
        }

        return TypedResults.Ok(new DevelopmentSignResponse(
            clientId, action, request.Nonce, request.Timestamp, $"{action},{clientId},{third}", WithingsSignature.Sign(partner.Secret, action, clientId, third)));
    }
}
