using System.Text.Json.Nodes;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Wire;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace DeviceFeatures.Server.OpenApi;

/// <summary>
/// Writes the wire document from the table of <c>/v2</c> services (<see cref="WireEndpoints.Services"/>) rather than
/// from the routes: a route is a whole service whose actions are told apart by the <c>action</c> parameter, which no
/// route describes. Each action is an operation of its own, keyed <c>/v2/{service}#{action}</c> (OpenAPI allows one
/// operation per path and method; the fragment is never sent, so a client built from the document calls
/// <c>/v2/{service}</c>). An action of the table without a description in <see cref="WireOperations"/> is still
/// listed, with its authentication parameters, and marked <c>x-devicefeatures-undescribed</c>.
/// </summary>
internal sealed class WireDocumentTransformer : IOpenApiDocumentTransformer
{
    public const string ExtensionMark = "x-devicefeatures-extension";
    public const string UndescribedMark = "x-devicefeatures-undescribed";
    public const string ActionMark = "x-devicefeatures-action";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "DeviceFeatures wire API (Withings-compatible)",
            Version = "2.0",
            Description = "The Withings partner calls this server answers, with Withings' names and shapes. Every answer is HTTP 200 "
                + "with the envelope {status, body, error?}; a status other than 0 is a refusal (docs/protocol.md, section 6). "
                + "Parameters are form-encoded (application/x-www-form-urlencoded), as Withings clients send them; the query string "
                + "is read too. Each action is listed under /v2/{service}#{action}: the request goes to /v2/{service}. "
                + "Actions marked x-devicefeatures-extension are ours; any other path under /v2 answers status 2554.",
        };
        document.Paths = [];
        document.Tags = new HashSet<OpenApiTag>();
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["access_token"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An access token from /v2/oauth2 action=requesttoken.",
        };

        foreach (var service in WireEndpoints.Services(context.ApplicationServices))
        {
            document.Tags.Add(new OpenApiTag { Name = service.Name });
            foreach (var action in service.Actions)
            {
                var pathItem = new OpenApiPathItem();
                pathItem.AddOperation(HttpMethod.Post, Operation(document, service, action));
                document.Paths[$"{service.Path}#{action.Name}"] = pathItem;
            }
        }

        return Task.CompletedTask;
    }

    private static OpenApiOperation Operation(OpenApiDocument document, WireService service, WireAction action)
    {
        var described = WireOperations.Find(service.Name, action.Name);
        var parameters = new List<WireParameter> { new(WireParameterNames.Action, JsonSchemaType.String, true, $"Service action name. Must take the string value {action.Name}.") };
        parameters.AddRange(Authentication(action.Authentication));
        parameters.AddRange(described?.Parameters ?? []);

        var form = WireOperations.Object([.. parameters.Select(p => (p.Name, Schema(p, action.Name)))]);
        form.Required = parameters.Where(p => p.Required).Select(p => p.Name).ToHashSet();

        var operation = new OpenApiOperation
        {
            OperationId = described?.OperationId ?? $"{service.Name}v2-{action.Name}",
            Summary = described?.Summary ?? $"{service.Name} - {action.Name}",
            Description = described?.Description,
            Tags = new HashSet<OpenApiTagReference> { new(service.Name, document) },
            RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/x-www-form-urlencoded"] = new() { Schema = form },
                },
            },
            Responses = new OpenApiResponses
            {
                ["200"] = new OpenApiResponse
                {
                    Description = "The Withings envelope, always with HTTP 200: status 0 and the body on success; otherwise the status "
                        + "of the refusal, an empty body (or wait_seconds with 601) and the error text.",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = Envelope(described?.Body() ?? WireOperations.Object()) },
                    },
                },
            },
            Extensions = new Dictionary<string, IOpenApiExtension>
            {
                [ActionMark] = new JsonNodeExtension(JsonValue.Create(action.Name)),
            },
        };
        if (described is null)
        {
            operation.Extensions[UndescribedMark] = new JsonNodeExtension(JsonValue.Create(true));
        }

        if (described?.Extension == true)
        {
            operation.Extensions[ExtensionMark] = new JsonNodeExtension(JsonValue.Create(true));
        }

        if (action.Authentication == WireAuthentication.Bearer)
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("access_token", document)] = [] }];
        }

        return operation;
    }

    /// <summary>The parameters that prove who calls, as the table's kind of action checks them.</summary>
    private static IEnumerable<WireParameter> Authentication(WireAuthentication authentication)
    {
        var clientId = new WireParameter(WireParameterNames.ClientId, JsonSchemaType.String, true, "Id of the client");
        var signature = new WireParameter(WireParameterNames.Signature, JsonSchemaType.String, true,
            "HMAC-SHA256 (lower-case hex) of `{action},{client_id},{nonce}` with the client secret (docs/protocol.md, section 2).");
        var nonce = new WireParameter(WireParameterNames.Nonce, JsonSchemaType.String, true, "A random token used to prevent replay attacks (from getnonce).");
        var secret = new WireParameter(WireParameterNames.ClientSecret, JsonSchemaType.String, false, "Your client secret (or nonce and signature instead).");
        return authentication switch
        {
            WireAuthentication.TimestampSigned =>
            [
                clientId,
                new(WireParameterNames.Timestamp, JsonSchemaType.Integer, true, "unix timestamp", "int64"),
                signature with { Description = "HMAC-SHA256 (lower-case hex) of `getnonce,{client_id},{timestamp}` with the client secret." },
            ],
            WireAuthentication.Signed => [clientId, signature, nonce],
            WireAuthentication.ClientSecret => [clientId, secret with { Required = true, Description = "Your client secret." }],
            WireAuthentication.ClientSecretOrSigned => [clientId, secret, signature with { Required = false }, nonce with { Required = false }],
            _ => [],
        };
    }

    private static OpenApiSchema Schema(WireParameter parameter, string action)
    {
        var schema = new OpenApiSchema { Type = parameter.Type, Format = parameter.Format, Description = parameter.Description };
        var values = parameter.Name == WireParameterNames.Action ? [action] : parameter.Values;
        if (values is not null)
        {
            schema.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
        }

        if (parameter.Name == WireParameterNames.Action)
        {
            schema.Default = JsonValue.Create(action);
        }

        return schema;
    }

    private static OpenApiSchema Envelope(OpenApiSchema body)
    {
        body.Description = "Response data.";
        var envelope = WireOperations.Object(
            ("status", WireOperations.Integer("Response status: 0 on success, else the refusal's code (docs/protocol.md, section 6).", "int32")),
            ("body", body),
            ("error", WireOperations.Text("Present on a refusal: what was wrong, naming the parameter.")));
        envelope.Required = new HashSet<string> { "status", "body" };
        return envelope;
    }
}
