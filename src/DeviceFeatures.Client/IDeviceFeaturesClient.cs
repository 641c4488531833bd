namespace DeviceFeatures.Client;

/// <summary>The Withings partner "Enable features" operations, signed for one partner.</summary>
public interface IDeviceFeaturesClient
{
    /// <summary>Gets a fresh nonce (<c>/v2/signature</c>, <c>action=getnonce</c>). The other operations get their own.</summary>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>A nonce of 40 hexadecimal characters, valid for one call within 30 minutes.</returns>
    Task<string> GetNonceAsync(CancellationToken cancellationToken = default);

    /// <summary>Activates a feature on a user's device model (<c>action=enablefeature</c>).</summary>
    /// <param name="userId">The Withings user id.</param>
    /// <param name="model">The device model, e.g. <see cref="DeviceModel.BodyPro2"/>.</param>
    /// <param name="feature">The feature, e.g. <see cref="FeatureName.EyesClosedMode"/>.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>A task that completes when the service has accepted the change.</returns>
    Task EnableFeatureAsync(int userId, DeviceModel model, FeatureName feature, CancellationToken cancellationToken = default);

    /// <summary>Deactivates a feature on a user's device model (<c>action=disablefeature</c>).</summary>
    /// <param name="userId">The Withings user id.</param>
    /// <param name="model">The device model.</param>
    /// <param name="feature">The feature.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>A task that completes when the service has accepted the change.</returns>
    Task DisableFeatureAsync(int userId, DeviceModel model, FeatureName feature, CancellationToken cancellationToken = default);

    /// <summary>Lists the feature choices recorded for a user's device model (<c>action=getfeatures</c>).</summary>
    /// <param name="userId">The Withings user id.</param>
    /// <param name="model">The device model.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The recorded choices; features never switched are absent.</returns>
    Task<IReadOnlyList<FeatureChoice>> GetFeaturesAsync(int userId, DeviceModel model, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tells, per device of the user's model, whether it runs each feature as chosen (<c>action=getfeaturestatus</c>, an
    /// extension of the Withings API): in sync, pending, sync failed (with the device's reason), unknown (not seen for a
    /// while) or superseded.
    /// </summary>
    /// <param name="userId">The Withings user id.</param>
    /// <param name="model">The device model.</param>
    /// <param name="featureName">Only this feature; every feature of the model when null.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The user's devices of the model (none if it has none), each with its features' status.</returns>
    Task<IReadOnlyList<DeviceSyncStatus>> GetFeatureStatusAsync(
        int userId, DeviceModel model, FeatureName? featureName = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes a device's state in the partner's programme (<c>action=endpartnerprogram</c>): <see cref="SimStatus.Active"/>,
    /// <see cref="SimStatus.Standby"/> (which also reverses a pending termination), or <see cref="SimStatus.Terminated"/>,
    /// which starts a 30-day countdown.
    /// </summary>
    /// <param name="macAddress">The device's MAC address, e.g. <c>00:24:e4:12:34:56</c> (<c>:</c>, <c>-</c> or no separators).</param>
    /// <param name="status">The state asked for.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The device's new state and, for a termination, its date.</returns>
    /// <exception cref="BadStateException">The device's state does not allow the request (e.g. it is terminated).</exception>
    Task<PartnerProgramResult> EndPartnerProgramAsync(string macAddress, SimStatus status, CancellationToken cancellationToken = default);

    /// <summary>
    /// Activates a user with the devices shipped to it (<c>/v2/user</c>, <c>action=activate</c>): the devices must be
    /// assigned to your client id and linked to no other user. Activating the same external id again is the same user,
    /// with a fresh code, its free devices linked and its profile replaced.
    /// </summary>
    /// <param name="activation">The user's profile and devices.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The authorization code and the linked devices.</returns>
    Task<ActivatedUser> ActivateUserAsync(UserActivation activation, CancellationToken cancellationToken = default);

    /// <summary>
    /// Exchanges an authorization code, or renews with a refresh token (<c>/v2/oauth2</c>, <c>action=requesttoken</c>,
    /// authenticated by the client secret).
    /// </summary>
    /// <param name="grant">The code (<see cref="TokenGrant.AuthorizationCode"/>) or refresh token (<see cref="TokenGrant.RefreshToken"/>).</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The user id and its tokens.</returns>
    Task<UserTokens> RequestTokenAsync(TokenGrant grant, CancellationToken cancellationToken = default);

    /// <summary>Lists the devices of the user an access token was given for (<c>/v2/user</c>, <c>action=getdevice</c>).</summary>
    /// <param name="accessToken">The access token from <see cref="RequestTokenAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The user's devices.</returns>
    Task<IReadOnlyList<UserDevice>> GetDevicesAsync(string accessToken, CancellationToken cancellationToken = default);

    /// <summary>Reads one of your users' profile by its user id (<c>/v2/user</c>, <c>action=get</c>).</summary>
    /// <param name="userId">The Withings user id.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The profile.</returns>
    Task<UserProfile> GetUserAsync(int userId, CancellationToken cancellationToken = default);

    /// <summary>Reads one of your users' profile by its email address (<c>/v2/user</c>, <c>action=get</c>).</summary>
    /// <param name="email">The email address given at activation (any case).</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The profile.</returns>
    Task<UserProfile> GetUserByEmailAsync(string email, CancellationToken cancellationToken = default);
}
