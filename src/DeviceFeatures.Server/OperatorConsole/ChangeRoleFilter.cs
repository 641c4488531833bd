using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace DeviceFeatures.Server.OperatorConsole;

/// <summary>The roles that may run a page's POST handler (one that changes something).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class ChangeByAttribute(params string[] roles) : Attribute
{
    public IReadOnlyList<string> Roles { get; } = roles;
}

/// <summary>A POST handler that changes nothing an operator owns (signing in or out; a read sent as a form).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class NoChangeAttribute : Attribute;

/// <summary>
/// Every POST handler of the console is checked here, on the server, whatever the page showed: a handler says which
/// roles may run it (<see cref="ChangeByAttribute"/>), and one that says nothing is refused to everyone, so that a
/// handler added without thinking about roles fails closed. A refusal is 403 and nothing runs.
/// </summary>
internal sealed class ChangeRoleFilter : IPageFilter
{
    public void OnPageHandlerSelected(PageHandlerSelectedContext context)
    {
    }

    public void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        // The admin API's rule for text (no control characters, no broken Unicode), on every query and form value, but
        // for the line breaks and tabs a <textarea> sends in a form value (a reason, a note): the service stores them.
        var request = context.HttpContext.Request;
        var names = request.Query.Keys.Concat(request.HasFormContentType ? request.Form.Keys : []);
        var values = request.Query.SelectMany(q => q.Value);
        var formValues = request.HasFormContentType ? request.Form.SelectMany(f => f.Value) : [];
        if (names.Any(n => !Admin.AdminInput.IsCleanText(n)) || values.Any(v => v is not null && !Admin.AdminInput.IsCleanText(v))
            || formValues.Any(v => v is not null && !IsCleanFormText(v)))
        {
            context.Result = new ContentResult
            {
                StatusCode = StatusCodes.Status400BadRequest,
                ContentType = "text/html; charset=utf-8",
                Content = ConsoleComposition.StatusHtml(400, "The form could not be accepted",
                    "A field holds control characters (such as NUL) or broken Unicode; remove them and send it again."),
            };
            return;
        }

        if (HttpMethods.IsGet(context.HttpContext.Request.Method) || HttpMethods.IsHead(context.HttpContext.Request.Method)
            || context.HandlerMethod?.MethodInfo is not { } method || method.GetCustomAttribute<NoChangeAttribute>() is not null)
        {
            return;
        }

        var user = context.HttpContext.User;
        if (method.GetCustomAttribute<ChangeByAttribute>() is not { } allowed || !allowed.Roles.Any(user.IsInRole))
        {
            context.Result = new StatusCodeResult(StatusCodes.Status403Forbidden);
        }
    }

    public void OnPageHandlerExecuted(PageHandlerExecutedContext context)
    {
    }

    /// <summary>Clean text apart from CR, LF and TAB, each of which splits it into parts that must be clean.</summary>
    internal static bool IsCleanFormText(string value)
    {
        foreach (var part in value.Split(['\r', '\n', '\t']))
        {
            if (!Admin.AdminInput.IsCleanText(part))
            {
                return false;
            }
        }

        return true;
    }
}
