namespace DeviceFeatures.Protocol.Admin;

/// <summary>The body of <c>PUT /admin/api/partners/{client_id}/programme-choices/{model}/{feature_name}</c>.</summary>
/// <param name="Active">Whether the feature is on for every device of the model in the partner's programme: required.</param>
public sealed record ProgrammeChoiceRequest(bool? Active);

/// <summary>
/// A partner's choice for a feature on every device of a model, recorded by an operator. A user's own choice
/// (<c>enablefeature</c>/<c>disablefeature</c>) wins over it.
/// </summary>
/// <param name="ClientId">The partner.</param>
/// <param name="Model">The model id.</param>
/// <param name="ModelName">The model's name.</param>
/// <param name="FeatureName">The feature.</param>
/// <param name="Active">The choice.</param>
/// <param name="UpdatedAt">When it was last set.</param>
public sealed record ProgrammeChoice(string ClientId, int Model, string ModelName, string FeatureName, bool Active, DateTimeOffset UpdatedAt);

/// <summary>The answer of <c>GET /admin/api/partners/{client_id}/programme-choices</c>.</summary>
/// <param name="ClientId">The partner.</param>
/// <param name="Choices">Its programme choices, by model then feature name.</param>
public sealed record ProgrammeChoiceList(string ClientId, IReadOnlyList<ProgrammeChoice> Choices);
