using DeviceFeatures.Protocol.Admin;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace DeviceFeatures.Server.OpenApi;

/// <summary>
/// The OpenAPI documents, served at <c>/openapi/{name}.json</c> in every environment (they describe the public contract
/// and hold no secret), and the Scalar page that reads them at <c>/scalar</c>, from assets inside the package (no CDN,
/// no fonts or telemetry from elsewhere: it works offline). <c>admin</c> and <c>device</c> describe every route mapped
/// under <c>/admin/api</c> and <c>/device/v1</c>, found by the framework, so a new route is described without a line
/// here; <c>wire</c> is written from the table of <c>/v2</c> actions (<see cref="WireDocumentTransformer"/>). Health
/// probes, metrics and the operator console are left out: they are not APIs a partner or a script programs against.
/// </summary>
internal static class ApiDocuments
{
    public const string Admin = "admin";
    public const string Wire = "wire";
    public const string Device = "device";
    public const string ScalarPath = "/scalar";

    /// <summary>The route prefix (without its leading slash, as <see cref="ApiDescription.RelativePath"/> has it) each document describes.</summary>
    public static readonly IReadOnlyDictionary<string, string> Prefixes = new Dictionary<string, string>
    {
        [Admin] = "admin/api/",
        [Device] = "device/v1/",
    };

    public static IServiceCollection AddApiDocuments(this IServiceCollection services)
    {
        services.AddOpenApi(Admin, options =>
        {
            options.ShouldInclude = description => IsUnder(description, Admin);
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "DeviceFeatures admin API",
                    Version = "1",
                    Description = "The operators' API (docs/admin-api.md): JSON in snake_case, `Authorization: Bearer <admin key>`, "
                        + "refusals as RFC 9457 problem+json with a stable `code`. Routes under /admin/api/emulator answer 403 "
                        + "emulator_disabled unless Emulator:Enabled.",
                };
                AddBearer(document, "admin_key", "The server's admin key (Admin:ApiKey, or the one it printed on its first start).");
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(AddProblemAnswerAsync);
            options.AddSchemaTransformer(NumbersAsWritten);
        });
        services.AddOpenApi(Device, options =>
        {
            options.ShouldInclude = description => IsUnder(description, Device);
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "DeviceFeatures device API",
                    Version = "1",
                    Description = "The device-facing API (docs/device-api.md): a device signs each request with its own secret "
                        + "(headers described there), pulls its configuration and reports what it applied. Refusals are problem+json.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(AddProblemAnswerAsync);
            options.AddSchemaTransformer(NumbersAsWritten);
        });
        services.AddOpenApi(Wire, options =>
        {
            options.ShouldInclude = _ => false;
            options.AddDocumentTransformer<WireDocumentTransformer>();
        });
        return services;
    }

    public static IEndpointRouteBuilder MapApiDocuments(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference(ScalarPath, options => options
            .WithTitle("DeviceFeatures API")
            .AddDocument(Wire, "Wire API (Withings-compatible)", isDefault: true)
            .AddDocument(Admin, "Admin API")
            .AddDocument(Device, "Device API")
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp());
        return app;
    }

    /// <summary>
    /// Describes the query parameters a handler reads itself from <see cref="HttpRequest.Query"/> (to answer a bad value
    /// with its own problem), which the framework cannot see.
    /// </summary>
    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, params (string Name, JsonSchemaType Type, string Description)[] parameters)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            foreach (var (name, type, description) in parameters)
            {
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = name,
                    In = ParameterLocation.Query,
                    Description = description,
                    Schema = new OpenApiSchema { Type = type },
                });
            }

            return Task.CompletedTask;
        });

    private static bool IsUnder(ApiDescription description, string document) =>
        description.RelativePath is { } path && (path + "/").StartsWith(Prefixes[document], StringComparison.OrdinalIgnoreCase);

    private static void AddBearer(OpenApiDocument document, string name, string description)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[name] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = description };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(name, document)] = [] }];
    }

    /// <summary>
    /// The server reads a number sent as a string (the web defaults' number handling), which the framework describes as
    /// "integer or string" with a pattern; the documents say what the server writes and what clients should send: numbers.
    /// </summary>
    private static Task NumbersAsWritten(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Type is { } type && (type & (JsonSchemaType.Integer | JsonSchemaType.Number)) != 0 && (type & JsonSchemaType.String) != 0)
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        return Task.CompletedTask;
    }

    /// <summary>Every refusal of these APIs is problem+json with a <c>code</c> (<see cref="AdminProblem"/>): the default answer of each operation.</summary>
    private static async Task AddProblemAnswerAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var document = context.Document!;
        if (document.Components?.Schemas?.ContainsKey(nameof(AdminProblem)) != true)
        {
            document.AddComponent(nameof(AdminProblem), await context.GetOrCreateSchemaAsync(typeof(AdminProblem), null, ct).ConfigureAwait(false));
        }

        operation.Responses ??= [];
        operation.Responses["default"] = new OpenApiResponse
        {
            Description = "A refusal: RFC 9457 problem details with a stable `code` (docs/admin-api.md lists them).",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(nameof(AdminProblem), document) },
            },
        };
    }
}
