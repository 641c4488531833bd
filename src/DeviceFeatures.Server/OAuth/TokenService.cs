using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.OAuth;

/// <summary>What <c>requesttoken</c> was asked: the grant, and its code (with its redirect URI) or its refresh token.</summary>
internal sealed record TokenRequest(bool IsRefresh, string Secret, string? RedirectUri);

/// <summary>
/// <c>/v2/oauth2 requesttoken</c> (operationId <c>oauth2-getaccesstoken</c>): an authorization code from activate, or a
/// refresh token, exchanged for a new access token and a new refresh token. A code works once and a refresh token
/// works once (it is replaced by the one in the answer); both rest on the database, not on an earlier read.
/// </summary>
internal sealed class TokenService(TimeProvider time) : IClientSecretHandler<TokenRequest>, ISignedHandler<TokenRequest>
{
    public const string AuthorizationCode = "authorization_code";
    public const string RefreshToken = "refresh_token";

    public (TokenRequest Parameters, WireResult? Refusal) Read(WireParameters parameters)
    {
        if (!SignedRequestAuthenticator.TryGetRequired(parameters, WireParameterNames.GrantType, out var grant, out var refusal))
        {
            return (null!, refusal);
        }

        switch (grant)
        {
            case AuthorizationCode:
                if (!SignedRequestAuthenticator.TryGetRequired(parameters, WireParameterNames.Code, out var code, out refusal)
                    || !SignedRequestAuthenticator.TryGetRequired(parameters, WireParameterNames.RedirectUri, out var redirectUri, out refusal))
                {
                    return (null!, refusal);
                }

                return (new TokenRequest(false, code, redirectUri), null);
            case RefreshToken:
                return SignedRequestAuthenticator.TryGetRequired(parameters, WireParameterNames.RefreshToken, out var token, out refusal)
                    ? (new TokenRequest(true, token, null), null)
                    : (null!, refusal);
            default:
                return (null!, Refusals.InvalidParameter(WireParameterNames.GrantType, $"must be {AuthorizationCode} or {RefreshToken}"));
        }
    }

    /// <summary>The signed form: the same exchange, in the transaction that has spent the call's nonce.</summary>
    public ValueTask<WireResult> HandleAsync(SignedCall call, TokenRequest request, SignedSession session) =>
        HandleAsync(call.Partner, request, session.Store, call.RequestId);

    public async ValueTask<WireResult> HandleAsync(PartnerCredentials partner, TokenRequest request, StoreSession session, string requestId)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var hash = OAuthSecrets.Hash(request.Secret);
        int userId;
        if (request.IsRefresh)
        {
            if (await session.TrySpendRefreshTokenAsync(hash, partner.ClientId, now) is not { } refreshed)
            {
                return Refusals.InvalidRefreshToken();
            }

            userId = refreshed;
        }
        else
        {
            if (await session.TrySpendCodeAsync(hash, partner.ClientId, request.RedirectUri, now) is not { } exchanged)
            {
                // Only the partner the code was given to learns that its redirect_uri was the problem.
                var code = await session.FindCodeAsync(hash);
                return code is not null && code.ClientId == partner.ClientId && code.UsedAt is null && code.ExpiresAt > now
                    ? Refusals.RedirectUriMismatch()
                    : Refusals.InvalidCode();
            }

            userId = exchanged;
        }

        var accessToken = OAuthSecrets.NewSecret();
        var refreshToken = OAuthSecrets.NewSecret();
        await session.InsertTokenAsync(OAuthSecrets.Hash(accessToken), OAuthStatements.AccessKind, partner.ClientId, userId, now,
            now + (long)OAuthSecrets.AccessTokenLifetime.TotalMilliseconds);
        await session.InsertTokenAsync(OAuthSecrets.Hash(refreshToken), OAuthStatements.RefreshKind, partner.ClientId, userId, now,
            now + (long)OAuthSecrets.RefreshTokenLifetime.TotalMilliseconds);
        var csrf = OAuthSecrets.NewCsrfToken();
        return WireResult.Ok(w =>
        {
            w.WriteNumber("userid"u8, userId);
            w.WriteString("access_token"u8, accessToken);
            w.WriteString("refresh_token"u8, refreshToken);
            w.WriteNumber("expires_in"u8, (long)OAuthSecrets.AccessTokenLifetime.TotalSeconds);
            w.WriteString("scope"u8, OAuthSecrets.Scope);
            w.WriteString("csrf_token"u8, csrf);
            w.WriteString("token_type"u8, "Bearer");
        });
    }
}
