using System.Net;
using System.Text.RegularExpressions;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace DeviceFeatures.Server.Tests.OperatorConsole;

/// <summary>A console session over HTTP, as a browser holds it: the cookies, and the form token of the last page read.</summary>
internal sealed partial class ConsoleSession(HttpClient client) : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public HttpClient Client { get; } = client;

    public string? Token { get; private set; }

    public static ConsoleSession Open(ServerFactory server) =>
        new(server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));

    /// <summary>Reads a page and keeps its form token.</summary>
    public async Task<(HttpStatusCode Status, string Html)> GetAsync(string path)
    {
        using var response = await Client.GetAsync(path, Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);
        if (TokenPattern().Match(html) is { Success: true } match)
        {
            Token = match.Groups[1].Value;
        }

        return (response.StatusCode, html);
    }

    /// <summary>Sends a form with the token of the last page read (unless <paramref name="withToken"/> is false).</summary>
    public async Task<(HttpStatusCode Status, string Html, Uri? Location)> PostAsync(string path, IDictionary<string, string> form, bool withToken = true)
    {
        var fields = new Dictionary<string, string>(form);
        if (withToken && Token is not null)
        {
            fields["__RequestVerificationToken"] = Token;
        }

        using var response = await Client.PostAsync(path, new FormUrlEncodedContent(fields), Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct), response.Headers.Location);
    }

    public async Task<(HttpStatusCode Status, string Html, Uri? Location)> SignInAsync(string name, string password)
    {
        await GetAsync("/console/sign-in");
        return await PostAsync("/console/sign-in", new Dictionary<string, string> { ["Name"] = name, ["Password"] = password });
    }

    public void Dispose() => Client.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
