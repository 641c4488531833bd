using System.Globalization;
using System.Text.Json;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Protocol.Status;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace DeviceFeatures.Client;

/// <summary>
/// Signs and sends the Withings partner "Enable features" calls. Every attempt of every call gets its own fresh
/// nonce, so a retry never replays a nonce. Transient failures (connection errors, HTTP 5xx, status 522, attempt
/// timeouts) are retried with exponential backoff; status 601 waits <c>wait_seconds</c> (or backs off for tens of
/// seconds) before trying again; every other refusal is thrown at once as the <see cref="WithingsRefusalException"/> of
/// its family.
/// </summary>
/// <remarks>
/// Retries wrap the whole operation (nonce request and signed call) rather than the HTTP request: a nonce is
/// single-use, so re-sending the same HTTP request could never succeed. Enabling and disabling are idempotent,
/// and so is asking for the programme state a device is already in, so retrying after an answer was lost is safe.
/// </remarks>
public sealed class DeviceFeaturesClient : IDeviceFeaturesClient
{
    private readonly HttpClient _http;
    private readonly DeviceFeaturesClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<WireAnswer> _pipeline;
    private readonly Uri _signatureUri;
    private readonly Uri _deviceUri;
    private readonly Uri _userUri;
    private readonly Uri _oauthUri;

    // The secret keyed once; keyed again if the options' secret is changed (a rotation applied in place).
    private KeyedSecret? _keyed;

    /// <summary>Creates a client.</summary>
    /// <param name="httpClient">The HTTP client to send with; its own base address is not used.</param>
    /// <param name="options">Endpoint, credentials and retry settings.</param>
    /// <param name="timeProvider">The clock for nonce timestamps and retry delays; the system clock when omitted.</param>
    public DeviceFeaturesClient(HttpClient httpClient, DeviceFeaturesClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _http = httpClient;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;

        var baseAddress = options.BaseAddress.AbsoluteUri.EndsWith('/') ? options.BaseAddress : new Uri(options.BaseAddress.AbsoluteUri + "/");
        _signatureUri = new Uri(baseAddress, "v2/signature");
        _deviceUri = new Uri(baseAddress, "v2/device");
        _userUri = new Uri(baseAddress, "v2/user");
        _oauthUri = new Uri(baseAddress, "v2/oauth2");
        _pipeline = BuildPipeline(options, _time);
    }

    /// <summary>Creates a client from dependency injection (see <c>AddDeviceFeaturesClient</c>).</summary>
    /// <param name="httpClient">The HTTP client configured for this client.</param>
    /// <param name="options">The configured options.</param>
    /// <param name="timeProvider">The clock.</param>
    [ActivatorUtilitiesConstructor]
    public DeviceFeaturesClient(HttpClient httpClient, IOptions<DeviceFeaturesClientOptions> options, TimeProvider timeProvider)
        : this(httpClient, options?.Value ?? throw new ArgumentNullException(nameof(options)), timeProvider)
    {
    }

    /// <inheritdoc />
    public async Task<string> GetNonceAsync(CancellationToken cancellationToken = default)
    {
        var answer = await ExecuteAsync(static (client, _, ct) => client.RequestNonceAsync(ct), this, cancellationToken).ConfigureAwait(false);
        return NonceOf(answer);
    }

    /// <inheritdoc />
    public Task EnableFeatureAsync(int userId, DeviceModel model, FeatureName feature, CancellationToken cancellationToken = default) =>
        SetAsync(WireActions.EnableFeature, userId, model, feature, cancellationToken);

    /// <inheritdoc />
    public Task DisableFeatureAsync(int userId, DeviceModel model, FeatureName feature, CancellationToken cancellationToken = default) =>
        SetAsync(WireActions.DisableFeature, userId, model, feature, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<FeatureChoice>> GetFeaturesAsync(int userId, DeviceModel model, CancellationToken cancellationToken = default)
    {
        var call = new SignedCall(WireActions.GetFeatures,
        [
            new(WireParameterNames.UserId, userId.ToString(CultureInfo.InvariantCulture)),
            new(WireParameterNames.Model, model.Id.ToString(CultureInfo.InvariantCulture)),
        ]);
        var answer = await ExecuteAsync(static (client, call, ct) => client.SendSignedAsync(call, ct), call, cancellationToken).ConfigureAwait(false);
        return ReadFeatures(answer.Body);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DeviceSyncStatus>> GetFeatureStatusAsync(
        int userId, DeviceModel model, FeatureName? featureName = null, CancellationToken cancellationToken = default)
    {
        List<KeyValuePair<string, string>> parameters =
        [
            new(WireParameterNames.UserId, userId.ToString(CultureInfo.InvariantCulture)),
            new(WireParameterNames.Model, model.Id.ToString(CultureInfo.InvariantCulture)),
        ];
        if (featureName is { Value: { Length: > 0 } name })
        {
            parameters.Add(new(WireParameterNames.FeatureName, name));
        }

        var call = new SignedCall(WireActions.GetFeatureStatus, [.. parameters]);
        var answer = await ExecuteAsync(static (client, call, ct) => client.SendSignedAsync(call, ct), call, cancellationToken).ConfigureAwait(false);
        return FeatureStatusWire.ReadDevices(answer.Body);
    }

    /// <inheritdoc />
    public async Task<PartnerProgramResult> EndPartnerProgramAsync(string macAddress, SimStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(macAddress);
        if (string.IsNullOrEmpty(status.Value))
        {
            throw new ArgumentException("A status is required.", nameof(status));
        }

        var call = new SignedCall(WireActions.EndPartnerProgram,
        [
            new(WireParameterNames.MacAddress, macAddress),
            new(WireParameterNames.Status, status.Value),
        ]);
        var answer = await ExecuteAsync(static (client, call, ct) => client.SendSignedAsync(call, ct), call, cancellationToken).ConfigureAwait(false);
        return ReadProgramme(answer.Body);
    }

    private async Task SetAsync(string action, int userId, DeviceModel model, FeatureName feature, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(feature.Value))
        {
            throw new ArgumentException("A feature name is required.", nameof(feature));
        }

        var call = new SignedCall(action,
        [
            new(WireParameterNames.FeatureName, feature.Value),
            new(WireParameterNames.UserId, userId.ToString(CultureInfo.InvariantCulture)),
            new(WireParameterNames.Model, model.Id.ToString(CultureInfo.InvariantCulture)),
        ]);
        await ExecuteAsync(static (client, call, ct) => client.SendSignedAsync(call, ct), call, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Retried like the device calls: activating the same external_id again is the same user, with a fresh code.</remarks>
    public async Task<ActivatedUser> ActivateUserAsync(UserActivation activation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(activation);
        var call = new SignedCall(WireActions.Activate, UserWire.ActivationParameters(activation), _userUri);
        var answer = await ExecuteAsync(static (client, call, ct) => client.SendSignedAsync(call, ct), call, cancellationToken).ConfigureAwait(false);
        return UserWire.ReadActivated(answer.Body);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A code and a refresh token work once: if an answer is lost and the retry finds the code or token spent, the call
    /// ends with an <see cref="InvalidParamsException"/> (status 283); activate the user again for a new code.
    /// </remarks>
    public async Task<UserTokens> RequestTokenAsync(TokenGrant grant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grant);
        List<KeyValuePair<string, string>> parameters =
        [
            new(WireParameterNames.Action, WireActions.RequestToken),
            new(WireParameterNames.ClientId, _options.ClientId),
            new(WireParameterNames.ClientSecret, _options.ClientSecret),
        ];
        switch (grant)
        {
            case TokenGrant.AuthorizationCodeGrant code:
                parameters.Add(new(WireParameterNames.GrantType, "authorization_code"));
                parameters.Add(new(WireParameterNames.Code, code.Code));
                parameters.Add(new(WireParameterNames.RedirectUri, code.RedirectUri.OriginalString));
                break;
            case TokenGrant.RefreshTokenGrant refresh:
                parameters.Add(new(WireParameterNames.GrantType, "refresh_token"));
                parameters.Add(new(WireParameterNames.RefreshToken, refresh.Token));
                break;
        }

        var answer = await ExecuteAsync(static (client, p, ct) => client.PostAsync(client._oauthUri, p, ct), parameters, cancellationToken)
            .ConfigureAwait(false);
        return UserWire.ReadTokens(answer.Body);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UserDevice>> GetDevicesAsync(string accessToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        var answer = await ExecuteAsync(
            static (client, token, ct) => client.PostAsync(client._userUri, [new(WireParameterNames.Action, WireActions.GetDevice)], ct, token),
            accessToken, cancellationToken).ConfigureAwait(false);
        return UserWire.ReadDevices(answer.Body);
    }

    /// <inheritdoc />
    public Task<UserProfile> GetUserAsync(int userId, CancellationToken cancellationToken = default) =>
        GetUserAsync(new KeyValuePair<string, string>(WireParameterNames.UserId, userId.ToString(CultureInfo.InvariantCulture)), cancellationToken);

    /// <inheritdoc />
    public Task<UserProfile> GetUserByEmailAsync(string email, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(email);
        return GetUserAsync(new KeyValuePair<string, string>(WireParameterNames.Email, email), cancellationToken);
    }

    private async Task<UserProfile> GetUserAsync(KeyValuePair<string, string> lookup, CancellationToken cancellationToken)
    {
        var call = new SignedCall(WireActions.GetUser, [lookup], _userUri);
        var answer = await ExecuteAsync(static (client, call, ct) => client.SendSignedAsync(call, ct), call, cancellationToken).ConfigureAwait(false);
        return UserWire.ReadProfile(answer.Body);
    }

    private sealed record SignedCall(string Action, KeyValuePair<string, string>[] Business, Uri? Target = null);

    private async Task<WireAnswer> ExecuteAsync<TState>(
        Func<DeviceFeaturesClient, TState, CancellationToken, Task<WireAnswer>> attempt, TState state, CancellationToken cancellationToken)
    {
        WireAnswer answer;
        try
        {
            answer = await _pipeline.ExecuteAsync(
                static async (s, ct) => await s.attempt(s.client, s.state, ct).ConfigureAwait(false),
                (client: this, attempt, state),
                cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new DeviceFeaturesTransportException($"Could not reach {_options.BaseAddress}: {ex.Message}", (int?)ex.StatusCode, isTransient: true, ex);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new DeviceFeaturesTransportException($"No answer from {_options.BaseAddress} within {_options.AttemptTimeout}.", null, isTransient: true, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DeviceFeaturesTransportException($"The request to {_options.BaseAddress} timed out.", null, isTransient: true, ex);
        }

        if (answer.Status != WireStatus.Success)
        {
            throw WithingsRefusalException.FromAnswer(answer.Status, answer.Error, answer.Body);
        }

        return answer;
    }

    // One attempt: a fresh nonce, then the signed call with it.
    private async Task<WireAnswer> SendSignedAsync(SignedCall call, CancellationToken cancellationToken)
    {
        var nonceAnswer = await RequestNonceAsync(cancellationToken).ConfigureAwait(false);
        if (nonceAnswer.Status != WireStatus.Success)
        {
            return nonceAnswer;
        }

        var nonce = NonceOf(nonceAnswer);
        var parameters = new List<KeyValuePair<string, string>>(4 + call.Business.Length)
        {
            new(WireParameterNames.Action, call.Action),
            new(WireParameterNames.ClientId, _options.ClientId),
            new(WireParameterNames.Nonce, nonce),
            new(WireParameterNames.Signature, Signer.SignCall(call.Action, _options.ClientId, nonce)),
        };
        parameters.AddRange(call.Business);
        return await PostAsync(call.Target ?? _deviceUri, parameters, cancellationToken).ConfigureAwait(false);
    }

    private Task<WireAnswer> RequestNonceAsync(CancellationToken cancellationToken)
    {
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        return PostAsync(_signatureUri,
        [
            new(WireParameterNames.Action, WireActions.GetNonce),
            new(WireParameterNames.ClientId, _options.ClientId),
            new(WireParameterNames.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture)),
            new(WireParameterNames.Signature, Signer.SignNonceRequest(_options.ClientId, timestamp)),
        ], cancellationToken);
    }

    private async Task<WireAnswer> PostAsync(
        Uri uri, IEnumerable<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken, string? bearerToken = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new FormUrlEncodedContent(parameters) };
        if (bearerToken is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearerToken);
        }

        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);

        // Withings answers HTTP 200 with the envelope; anything else came from somewhere between us and it.
        if (WireEnvelope.TryParse(bytes) is { } answer)
        {
            return answer;
        }

        var status = (int)response.StatusCode;
        throw new DeviceFeaturesTransportException(
            $"{uri} answered HTTP {status} without a Withings envelope.", status, isTransient: status >= 500 || status == 408 || status == 429);
    }

    private static string NonceOf(WireAnswer answer) =>
        answer.Body.ValueKind == JsonValueKind.Object
        && answer.Body.TryGetProperty("nonce", out var nonce)
        && nonce.ValueKind == JsonValueKind.String
            ? nonce.GetString()!
            : throw new DeviceFeaturesTransportException("The nonce answer had no nonce in its body.", 200, isTransient: false);

    private static PartnerProgramResult ReadProgramme(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object
            || !body.TryGetProperty("new_sim_status", out var status)
            || status.ValueKind != JsonValueKind.String)
        {
            throw new DeviceFeaturesTransportException("The endpartnerprogram answer had no new_sim_status in its body.", 200, isTransient: false);
        }

        DateTimeOffset? date = body.TryGetProperty("termination_date", out var seconds) && seconds.ValueKind == JsonValueKind.Number && seconds.TryGetInt64(out var unix)
            ? DateTimeOffset.FromUnixTimeSeconds(unix)
            : null;
        return new PartnerProgramResult(new SimStatus(status.GetString()!), date);
    }

    private static List<FeatureChoice> ReadFeatures(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object
            || !body.TryGetProperty("features", out var features)
            || features.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var choices = new List<FeatureChoice>();
        foreach (var feature in features.EnumerateArray())
        {
            if (feature.ValueKind == JsonValueKind.Object
                && feature.TryGetProperty("feature_name", out var name) && name.ValueKind == JsonValueKind.String
                && feature.TryGetProperty("active", out var active))
            {
                // Some answers write booleans as 0/1.
                var on = active.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.Number => active.TryGetInt32(out var n) && n != 0,
                    _ => false,
                };
                choices.Add(new FeatureChoice(new FeatureName(name.GetString()!), on));
            }
        }

        return choices;
    }

    private static ResiliencePipeline<WireAnswer> BuildPipeline(DeviceFeaturesClientOptions options, TimeProvider time)
    {
        var builder = new ResiliencePipelineBuilder<WireAnswer> { TimeProvider = time };

        // Outermost: too many requests. Wait what the service asks, or back off for tens of seconds; bounded.
        if (options.MaxRateLimitRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<WireAnswer>
            {
                Name = "rate-limit",
                MaxRetryAttempts = options.MaxRateLimitRetries,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.Status == WireStatus.TooManyRequests),
                DelayGenerator = args =>
                {
                    var asked = args.Outcome.Result is { } answer ? WithingsRefusalException.WaitSecondsOf(answer.Body) : null;
                    var delay = asked ?? options.RateLimitDelay * Math.Pow(2, Math.Min(args.AttemptNumber, 16));
                    return ValueTask.FromResult<TimeSpan?>(delay < options.MaxRateLimitDelay ? delay : options.MaxRateLimitDelay);
                },
            });
        }

        // Then transient failures: the request may not have reached the service, or it answered "nothing changed".
        if (options.MaxTransientRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<WireAnswer>
            {
                Name = "transient",
                MaxRetryAttempts = options.MaxTransientRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.TransientRetryDelay,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome, args.Context.CancellationToken)),
            });
        }

        // Innermost: one attempt may not take longer than this.
        builder.AddTimeout(options.AttemptTimeout);
        return builder.Build();
    }

    private static bool IsTransient(Outcome<WireAnswer> outcome, CancellationToken callerToken) => outcome.Exception switch
    {
        null => outcome.Result?.Status == WireStatus.Timeout,
        HttpRequestException or TimeoutRejectedException => true,
        DeviceFeaturesTransportException transport => transport.IsTransient,
        OperationCanceledException => !callerToken.IsCancellationRequested,
        _ => false,
    };

    private WithingsSigner Signer
    {
        get
        {
            var secret = _options.ClientSecret;
            if (_keyed is { } keyed && ReferenceEquals(keyed.Secret, secret))
            {
                return keyed.Signer;
            }

            var signer = new WithingsSigner(secret);
            _keyed = new KeyedSecret(secret, signer);
            return signer;
        }
    }

    private sealed record KeyedSecret(string Secret, WithingsSigner Signer);
}
