using System.Security.Cryptography;
using System.Text;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Partners;

namespace DeviceFeatures.Server.Emulator.Journal;

/// <summary>
/// Explains a refused signature (status 101) for the journal: it signs, with the partner's secret, the strings that
/// integrators sign by mistake and compares each with the signature received. Only the name of the mistake, the string
/// that matched and the string expected come out; the expected signature never does.
/// </summary>
/// <remarks>
/// It runs only for requests refused with 101, after the answer is written, and signs at most a dozen short strings.
/// </remarks>
internal static class SignatureExplainer
{
    public static SignatureExplanation? Explain(PartnerCredentials partner, WireParameters parameters)
    {
        if (!parameters.TryGet(WireParameterNames.Action, out var action)
            || !parameters.TryGet(WireParameterNames.ClientId, out var clientId)
            || !parameters.TryGet(WireParameterNames.Signature, out var signature))
        {
            return null;
        }

        // A nonce request is signed over its timestamp, every other signed call over its nonce.
        var thirdName = action == WireActions.GetNonce ? WireParameterNames.Timestamp : WireParameterNames.Nonce;
        if (!parameters.TryGet(thirdName, out var third))
        {
            return null;
        }

        string[] names = [WireParameterNames.Action, WireParameterNames.ClientId, thirdName];
        string[] values = [action, clientId, third];
        var expected = string.Join(',', values);
        var key = Encoding.UTF8.GetBytes(partner.Secret);
        var given = signature.Trim().ToLowerInvariant();

        SignatureExplanation Found(string mistake, string signed, params string[] differing) => new(expected, mistake, signed, differing);

        foreach (var (signed, shown, differing) in AllParameters(parameters, names))
        {
            if (signed != expected && Signs(key, signed, given))
            {
                return Found(SignatureMistakes.AllParametersSigned, shown, differing);
            }
        }

        if (thirdName == WireParameterNames.Nonce && parameters.TryGet(WireParameterNames.Timestamp, out var timestamp))
        {
            var signed = string.Join(',', action, clientId, timestamp);
            if (Signs(key, signed, given))
            {
                return Found(SignatureMistakes.TimestampInsteadOfNonce, signed, WireParameterNames.Nonce);
            }
        }

        foreach (var order in Orders)
        {
            var signed = string.Join(',', order.Select(i => values[i]));
            if (signed != expected && Signs(key, signed, given))
            {
                return Found(SignatureMistakes.WrongOrder, signed, [.. Enumerable.Range(0, 3).Where(i => order[i] != i).Select(i => names[i])]);
            }
        }

        foreach (var cased in new[] { third.ToUpperInvariant(), third.ToLowerInvariant() })
        {
            var signed = string.Join(',', action, clientId, cased);
            if (cased != third && Signs(key, signed, given))
            {
                return Found(SignatureMistakes.UpperCaseHex, signed, thirdName);
            }
        }

        foreach (var newline in new[] { "\n", "\r\n" })
        {
            if (Signs(key, expected + newline, given))
            {
                return Found(SignatureMistakes.TrailingNewline, expected + newline, thirdName);
            }
        }

        // Signed with the secret a rotation replaced, after its overlap ended.
        if (partner.PreviousSecret is { } previous && Signs(Encoding.UTF8.GetBytes(previous), expected, given))
        {
            return Found(SignatureMistakes.WrongSecretOrUnknown, expected, WireParameterNames.ClientSecret);
        }

        return new SignatureExplanation(expected, SignatureMistakes.WrongSecretOrUnknown, null, []);
    }

    // Every order of (action, client_id, third) but the right one.
    private static readonly int[][] Orders = [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];

    /// <summary>
    /// Every parameter but the signature, sorted by name (as the signing rule sorts) and as sent: the string signed with
    /// the real values, and the string shown, where the values the journal redacts (an OAuth code, a refresh token, a
    /// client secret: <see cref="RequestJournal.IsSecret"/>) are <see cref="RequestJournal.Redacted"/>. The three values
    /// of the expected string stay: they are what the integrator needs to compare.
    /// </summary>
    private static IEnumerable<(string Signed, string Shown, string[] Differing)> AllParameters(WireParameters parameters, string[] signedNames)
    {
        var all = parameters.Items.Where(p => p.Key != WireParameterNames.Signature).ToArray();
        var extra = all.Select(p => p.Key).Where(k => !signedNames.Contains(k)).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (extra.Length == 0)
        {
            yield break;
        }

        string Show(KeyValuePair<string, string> p) =>
            !signedNames.Contains(p.Key) && RequestJournal.IsSecret(p.Key) ? RequestJournal.Redacted : p.Value;

        var sorted = all.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
        yield return (string.Join(',', sorted.Select(p => p.Value)), string.Join(',', sorted.Select(Show)), extra);
        yield return (string.Join(',', all.Select(p => p.Value)), string.Join(',', all.Select(Show)), extra);
    }

    private static bool Signs(byte[] key, string message, string givenLowerHex)
    {
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(message), hash);
        return Convert.ToHexStringLower(hash) == givenLowerHex;
    }
}
