using System.Net;
using System.Security.Claims;
using DeviceFeatures.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc.ApplicationParts;

namespace DeviceFeatures.Server.OperatorConsole;

/// <summary>The console's policies: every page needs a session; changes need a role above support.</summary>
internal static class ConsolePolicies
{
    public const string Scheme = "OperatorCookie";
    public const string Operator = "console.operator";
    public const string CustomerSuccess = "console.customer_success";
    public const string Administrator = "console.administrator";
}

/// <summary>
/// The operator console under <c>/console</c>: Razor Pages compiled into this library, so that every host (and the
/// testing package) has it; cookie sessions of their own scheme, separate from the admin key; the same
/// <c>AdminService</c> as the admin API, so that a change made in a page is validated and audited like one made with
/// the key.
/// </summary>
internal static class ConsoleComposition
{
    public const string Prefix = "/console";
    public const string SignInPath = Prefix + "/sign-in";

    /// <summary>The session's copy of the operator's security stamp (<see cref="OperatorAccounts.SessionStamp"/>).</summary>
    private const string StampClaim = "devfeat:stamp";

    public static IServiceCollection AddOperatorConsole(this IServiceCollection services)
    {
        services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<OperatorAccounts>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<FirstAdministratorStep>(sp, Console.Out));
        services.AddSingleton<IStartupStep>(sp => sp.GetRequiredService<FirstAdministratorStep>());
        services.AddSingleton<IStartedStep>(sp => sp.GetRequiredService<FirstAdministratorStep>());
        services.AddSingleton<ConsoleQueries>();
        services.AddSingleton<GrantRequests>();
        services.AddHostedService<GrantRequestExpiry>();

        services.AddAuthentication().AddCookie(ConsolePolicies.Scheme, o =>
        {
            o.Cookie.Name = "devfeat_console";
            o.Cookie.Path = Prefix;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = SignInPath;
            o.LogoutPath = Prefix + "/sign-out";
            o.AccessDeniedPath = Prefix + "/denied";
            o.SlidingExpiration = true;
            o.Events.OnValidatePrincipal = ValidateOperatorAsync;

            // A page that needs a higher role answers 403 itself (the status page says why) instead of redirecting.
            o.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        });
        services.AddOptions<CookieAuthenticationOptions>(ConsolePolicies.Scheme)
            .Configure<Microsoft.Extensions.Options.IOptions<ConsoleOptions>>((o, console) =>
                o.ExpireTimeSpan = TimeSpan.FromMinutes(console.Value.SessionMinutes));

        // The console's other cookies stay on its path and its site, like the session.
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "devfeat_console_antiforgery";
            o.Cookie.Path = Prefix;
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.Configure<Microsoft.AspNetCore.Mvc.CookieTempDataProviderOptions>(o =>
        {
            o.Cookie.Name = "devfeat_console_notice";
            o.Cookie.Path = Prefix;
            o.Cookie.SameSite = SameSiteMode.Strict;
        });

        services.AddAuthorizationBuilder()
            .AddPolicy(ConsolePolicies.Operator, p => p.AddAuthenticationSchemes(ConsolePolicies.Scheme).RequireAuthenticatedUser())
            .AddPolicy(ConsolePolicies.CustomerSuccess, p => p.AddAuthenticationSchemes(ConsolePolicies.Scheme)
                .RequireRole(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess))
            .AddPolicy(ConsolePolicies.Administrator, p => p.AddAuthenticationSchemes(ConsolePolicies.Scheme)
                .RequireRole(OperatorRoles.Administrator));

        var assembly = typeof(ConsoleComposition).Assembly;
        services.AddRazorPages(o =>
            {
                o.RootDirectory = "/OperatorConsole/Pages";
                o.Conventions.AuthorizeFolder("/", ConsolePolicies.Operator);
                o.Conventions.AllowAnonymousToPage("/SignIn");
                o.Conventions.AuthorizePage("/Operators", ConsolePolicies.Administrator);
                o.Conventions.AuthorizePage("/OperatorDetail", ConsolePolicies.Administrator);
            })
            .AddMvcOptions(o => o.Filters.Add<ChangeRoleFilter>())
            .ConfigureApplicationPartManager(parts =>
            {
                // The host's own assembly is the one searched by default; the pages live here, in the library.
                if (!parts.ApplicationParts.OfType<AssemblyPart>().Any(p => p.Assembly == assembly))
                {
                    foreach (var part in ApplicationPartFactory.GetApplicationPartFactory(assembly).GetApplicationParts(assembly))
                    {
                        parts.ApplicationParts.Add(part);
                    }
                }
            });
        return services;
    }

    /// <summary>Authentication, authorization, status pages and headers for <c>/console</c> only.</summary>
    public static IApplicationBuilder UseOperatorConsole(this IApplicationBuilder app) =>
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Prefix), branch =>
        {
            branch.Use((context, next) =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = "default-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
                headers.XFrameOptions = "DENY";
                headers["X-Content-Type-Options"] = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                headers.CacheControl = "no-store";
                return next(context);
            });
            branch.UseStatusCodePages(StatusPageAsync);
            branch.UseAuthentication();
            branch.UseAuthorization();
        });

    public static IEndpointRouteBuilder MapOperatorConsole(this IEndpointRouteBuilder app)
    {
        app.MapRazorPages();
        app.MapGet(Prefix + "/console.css", () => Results.Stream(
            typeof(ConsoleComposition).Assembly.GetManifestResourceStream("DeviceFeatures.Server.OperatorConsole.console.css")!, "text/css; charset=utf-8"));
        return app;
    }

    /// <summary>Signs the operator in: the name and role in a cookie of the console's scheme.</summary>
    public static Task SignInAsync(HttpContext context, OperatorRow row)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, row.Name), new Claim(ClaimTypes.Role, row.Role), new Claim(StampClaim, OperatorAccounts.SessionStamp(row))],
            ConsolePolicies.Scheme, ClaimTypes.Name, ClaimTypes.Role);
        return context.SignInAsync(ConsolePolicies.Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
    }

    // A session ends at its next request once its operator is disabled or removed, or once the account has changed
    // at all since it signed in (role, disabled/enabled, password: each replaces the security stamp), even if it has
    // come back to the state the session knew. The read is one row by its key on every request: no cache, so that an
    // operator disabled on one instance is refused on every instance at once.
    private static async Task ValidateOperatorAsync(CookieValidatePrincipalContext context)
    {
        var name = context.Principal?.Identity?.Name;
        var role = context.Principal?.FindFirstValue(ClaimTypes.Role);
        var stamp = context.Principal?.FindFirstValue(StampClaim);
        var accounts = context.HttpContext.RequestServices.GetRequiredService<OperatorAccounts>();
        if (name is null || await accounts.FindActiveAsync(name, context.HttpContext.RequestAborted).ConfigureAwait(false) is not { } row
            || row.Role != role || stamp != OperatorAccounts.SessionStamp(row))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(ConsolePolicies.Scheme).ConfigureAwait(false);
        }
    }

    /// <summary>A plain page for a status: its title, a sentence and the way back.</summary>
    public static string StatusHtml(int status, string title, string text) => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{status} {WebUtility.HtmlEncode(title)} · DeviceFeatures console</title><link rel="stylesheet" href="{Prefix}/console.css"></head>
        <body><main id="main"><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(text)}</p>
        <p><a href="{Prefix}">Back to the console</a></p></main></body></html>
        """;

    // Plain pages for the statuses the console answers without a page of its own: never a stack, always a way back.
    private static Task StatusPageAsync(StatusCodeContext context)
    {
        var response = context.HttpContext.Response;
        var status = response.StatusCode;
        var (title, text) = status switch
        {
            StatusCodes.Status400BadRequest => ("The form could not be accepted",
                "The form was sent without its security token, or the token belongs to another session. Open the page again and resend it."),
            StatusCodes.Status403Forbidden => ("Not allowed",
                "Your role does not allow this. Support agents read and look up; customer success and administrators make changes."),
            StatusCodes.Status404NotFound => ("Not found", "There is no page at this address."),
            StatusCodes.Status405MethodNotAllowed => ("Not allowed", "This address does not take that kind of request."),
            _ => ("Something went wrong", $"The server answered {status}."),
        };
        response.ContentType = "text/html; charset=utf-8";
        return response.WriteAsync(StatusHtml(status, title, text));
    }
}
