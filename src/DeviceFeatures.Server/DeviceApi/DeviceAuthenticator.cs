using System.Security.Cryptography;
using System.Text;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Secrets;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.DeviceApi;

/// <summary>A device whose request carried a valid signature, with the body it signed.</summary>
internal sealed record AuthenticatedDevice(InventoryRow Device, string? PartnerClientId, ReadOnlyMemory<byte> Body);

/// <summary>
/// Authenticates a device request (docs/device-api.md), in this order: the headers are all there and well formed;
/// the timestamp is within the window; the device is known, has a secret and the signature matches it (compared in
/// constant time; an unknown device gets the same answer as a wrong signature); its partner is not suspended; and
/// last, the nonce is recorded as used in the database (<c>used_nonces</c>, whose primary key makes it single-use),
/// so that a request that fails any earlier check cannot burn a nonce.
/// </summary>
internal sealed class DeviceAuthenticator(IFeatureStore store, SecretProtector secrets, IOptions<DeviceApiOptions> options, TimeProvider time)
{
    public const int MaxBodyBytes = 64 * 1024;

    // Compared against when the device is unknown, so that the answer takes about as long as for a wrong signature.
    private static readonly string DummySecret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public async Task<(AuthenticatedDevice? Device, AdminError? Error)> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var headers = context.Request.Headers;
        var mac = MacAddress.Normalize(headers[DeviceApiHeaders.Mac].ToString());
        var nonce = headers[DeviceApiHeaders.Nonce].ToString();
        var signature = headers[DeviceApiHeaders.Signature].ToString();
        if (mac is null
            || !long.TryParse(headers[DeviceApiHeaders.Timestamp].ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var timestamp)
            || nonce.Length is < 16 or > 64 || !nonce.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            || signature.Length != 64 || !signature.All(char.IsAsciiHexDigit))
        {
            return (null, Refused(DeviceProblemCodes.AuthenticationMissing,
                $"Send {DeviceApiHeaders.Mac}, {DeviceApiHeaders.Timestamp} (Unix seconds), {DeviceApiHeaders.Nonce} (16 to 64 letters, digits, '-' or '_') and {DeviceApiHeaders.Signature} (64 hex digits); see docs/device-api.md."));
        }

        var tolerance = options.Value.TimestampToleranceSeconds;
        var now = time.GetUtcNow();
        if (Math.Abs(now.ToUnixTimeSeconds() - timestamp) > tolerance)
        {
            return (null, Refused(DeviceProblemCodes.TimestampOutOfWindow,
                $"{DeviceApiHeaders.Timestamp} is more than {tolerance} s from the server's time ({now.ToUnixTimeSeconds()}): set the device's clock, then sign again."));
        }

        var body = await ReadBodyAsync(context.Request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return (null, new AdminError(StatusCodes.Status413PayloadTooLarge, DeviceProblemCodes.InvalidRequest, $"The body is larger than {MaxBodyBytes} bytes."));
        }

        var (device, partner) = await store.ReadAsync(async s =>
        {
            var row = await s.FindInventoryDeviceAsync(mac).ConfigureAwait(false);
            var clientId = row is null ? null : await s.FindLinkedPartnerAsync(mac).ConfigureAwait(false) ?? row.ClientId;
            return (row, clientId is null ? null : await s.FindPartnerAsync(clientId).ConfigureAwait(false));
        }, cancellationToken).ConfigureAwait(false);

        var secret = device?.Credential is { } stored ? secrets.Unprotect(SecretProtector.DeviceContext(mac), stored) : DummySecret;
        var expected = DeviceSigning.Sign(secret, context.Request.Method, PathAndQuery(context.Request), mac, timestamp, nonce, body);
        var matches = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature.ToLowerInvariant()));
        if (!matches || device?.Credential is null)
        {
            return (null, Refused(DeviceProblemCodes.SignatureInvalid,
                "The signature does not match, or the device has no credential: sign with the device's current secret (docs/device-api.md)."));
        }

        if (partner is { Suspended: true })
        {
            return (null, new AdminError(StatusCodes.Status403Forbidden, DeviceProblemCodes.PartnerSuspended,
                "The device's partner is suspended: keep the configuration applied and ask again later."));
        }

        var key = SHA256.HashData(Encoding.UTF8.GetBytes($"device {mac} {nonce}"));
        var expiresAt = (timestamp + tolerance) * 1000L;
        var nowMs = now.ToUnixTimeMilliseconds();
        var fresh = await store.WriteAsync(async s =>
        {
            if (!await s.TryUseNonceAsync(key, "device " + mac, expiresAt).ConfigureAwait(false))
            {
                return false;
            }

            await s.DeviceSeenAsync(mac, nowMs).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return fresh
            ? (new AuthenticatedDevice(device, partner?.ClientId, body), null)
            : (null, Refused(DeviceProblemCodes.NonceReused, $"The {DeviceApiHeaders.Nonce} was already used: sign again with a new one."));
    }

    /// <summary>The path with its query string, as the device sent and signed it.</summary>
    public static string PathAndQuery(HttpRequest request) => request.PathBase + request.Path + request.QueryString;

    private static AdminError Refused(string code, string detail) => new(StatusCodes.Status401Unauthorized, code, detail);

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
