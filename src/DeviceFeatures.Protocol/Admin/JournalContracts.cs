namespace DeviceFeatures.Protocol.Admin;

/// <summary>One wire request as the journal keeps it (<c>GET /admin/api/emulator/journal</c>).</summary>
/// <param name="Sequence">Its place among every request the journal recorded on this instance, increasing: pass it as <c>after</c> to read what came next.</param>
/// <param name="Time">When it arrived (the server's clock).</param>
/// <param name="RequestId">The request id, as the server's logs and audit events name it.</param>
/// <param name="ClientId">The <c>client_id</c> it carried, if any.</param>
/// <param name="Service">The web service, e.g. <c>device</c> for <c>/v2/device</c>.</param>
/// <param name="Action">The <c>action</c> it carried, if any.</param>
/// <param name="Parameters">Its parameters, with the values of signatures, nonces, secrets, codes and tokens replaced by <c>***</c>.</param>
/// <param name="Status">The Withings status answered; null when no envelope was sent (an injected HTTP status or dropped connection).</param>
/// <param name="Error">The <c>error</c> text answered.</param>
/// <param name="HttpStatus">The HTTP status answered (200 for every envelope); null for a dropped connection.</param>
/// <param name="DurationMs">Time from the start of the request until its answer was written, in milliseconds.</param>
/// <param name="Injected">True when a fault rule chose the answer (or slowed it).</param>
/// <param name="FaultId">The fault rule that did.</param>
/// <param name="SignatureExplanation">For a refused signature (status 101): what should have been signed, and the likely mistake.</param>
public sealed record JournalEntry(
    long Sequence,
    DateTimeOffset Time,
    string RequestId,
    string? ClientId,
    string Service,
    string? Action,
    IReadOnlyDictionary<string, string> Parameters,
    int? Status,
    string? Error,
    int? HttpStatus,
    double DurationMs,
    bool Injected,
    string? FaultId,
    SignatureExplanation? SignatureExplanation);

/// <summary>
/// Why a signature was refused, found by signing the strings integrators commonly sign by mistake with the partner's
/// secret and comparing them with the signature received. The expected signature itself is never given.
/// </summary>
/// <param name="ExpectedString">The exact string that must be signed, with the values the server received, e.g. <c>enablefeature,my-client,5f2c...</c>.</param>
/// <param name="Mistake">One of <see cref="SignatureMistakes"/>.</param>
/// <param name="SignedString">The string the signature was made of, when a known mistake matched it.</param>
/// <param name="Differing">The signed values (by parameter name) that differ from what the server expected, e.g. <c>["nonce"]</c>.</param>
public sealed record SignatureExplanation(string ExpectedString, string Mistake, string? SignedString, IReadOnlyList<string> Differing);

/// <summary>The mistakes <see cref="SignatureExplanation.Mistake"/> names.</summary>
public static class SignatureMistakes
{
    /// <summary>Every parameter's value was signed (sorted by name), business parameters included, instead of the three signed ones.</summary>
    public const string AllParametersSigned = "all_parameters_signed";

    /// <summary>A call was signed over its <c>timestamp</c> instead of its <c>nonce</c>, as a nonce request is.</summary>
    public const string TimestampInsteadOfNonce = "timestamp_instead_of_nonce";

    /// <summary>The right values, joined in another order than by parameter name (<c>action</c>, <c>client_id</c>, <c>nonce</c>).</summary>
    public const string WrongOrder = "wrong_order";

    /// <summary>
    /// A hexadecimal value was signed in the other case than it was sent (e.g. the nonce upper-cased before signing). The
    /// signature's own hexadecimal digits are accepted in either case, so they are never the reason.
    /// </summary>
    public const string UpperCaseHex = "upper_case_hex";

    /// <summary>The signed string ended with a line feed (or CR LF), as text read from a file or a shell often does.</summary>
    public const string TrailingNewline = "trailing_newline";

    /// <summary>None of the known mistakes gives this signature: most often a wrong client secret (or a signature that is not 64 hexadecimal digits).</summary>
    public const string WrongSecretOrUnknown = "wrong_secret_or_unknown";
}

/// <summary>The answer of <c>GET /admin/api/emulator/journal</c>.</summary>
/// <param name="Entries">The matching entries, oldest first: the latest <c>limit</c> ones, or with <c>after</c> the first <c>limit</c> after it.</param>
/// <param name="NextAfter">Pass as <c>after</c> to read only what is recorded next (the last entry's sequence, or the <c>after</c> given when there were none).</param>
/// <param name="Size">How many entries the journal keeps per partner (<c>Emulator:JournalSize</c>; 0: the journal is off).</param>
public sealed record JournalPage(IReadOnlyList<JournalEntry> Entries, long NextAfter, int Size);
