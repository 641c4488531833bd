using System.Buffers;
using System.Text;
using DeviceFeatures.Protocol.Parameters;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace DeviceFeatures.Server.Wire;

/// <summary>
/// Gathers the parameters of a wire request from its query string and its body, whatever the method:
/// form-encoded, JSON or multipart bodies are read, other content types are refused with a clear problem.
/// </summary>
internal sealed class WireRequestReader(IOptions<WireOptions> options)
{
    private readonly int _maxBodyBytes = options.Value.MaxBodyBytes;

    public async ValueTask<WireParameters> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var parameters = new WireParameters();
        if (request.QueryString.HasValue)
        {
            ReadQuery(request.QueryString.Value!, parameters);
        }

        if (parameters.Problem is not null || !HasBody(request))
        {
            return parameters;
        }

        if (request.ContentLength > _maxBodyBytes)
        {
            parameters.Fail($"the request body is larger than the {_maxBodyBytes}-byte limit");
            return parameters;
        }

        var kind = BodyKindOf(request.ContentType);
        switch (kind)
        {
            case BodyKind.Unsupported:
                parameters.Fail($"Content-Type '{WireParameters.Echo(request.ContentType)}' is not supported; send application/x-www-form-urlencoded, application/json or multipart/form-data");
                return parameters;
            case BodyKind.Multipart:
                await ReadMultipartAsync(request, parameters, cancellationToken).ConfigureAwait(false);
                return parameters;
        }

        var body = await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            parameters.Fail($"the request body is larger than the {_maxBodyBytes}-byte limit");
            return parameters;
        }

        try
        {
            var span = body.Value.Buffer.AsSpan(0, body.Value.Length);
            if (kind == BodyKind.Json)
            {
                WireParameterParser.ReadJson(span, parameters);
            }
            else
            {
                WireParameterParser.ReadUrlEncoded(span, parameters);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body.Value.Buffer);
        }

        return parameters;
    }

    private static void ReadQuery(string query, WireParameters parameters)
    {
        var max = Encoding.UTF8.GetMaxByteCount(query.Length);
        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var length = Encoding.UTF8.GetBytes(query, rented);
            WireParameterParser.ReadUrlEncoded(rented.AsSpan(0, length), parameters);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private async ValueTask<(byte[] Buffer, int Length)?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var initial = request.ContentLength is { } declared ? (int)declared : 4096;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(initial, _maxBodyBytes) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > _maxBodyBytes)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return null;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _maxBodyBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > _maxBodyBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return null;
                }

                // The declared length is all there is: Kestrel ends the body there, so asking again would only
                // hear that it ended.
                if (length == request.ContentLength)
                {
                    break;
                }
            }

            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private async Task ReadMultipartAsync(HttpRequest request, WireParameters parameters, CancellationToken cancellationToken)
    {
        try
        {
            var form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions
            {
                MultipartBodyLengthLimit = _maxBodyBytes,
                ValueCountLimit = WireParameters.MaxCount,
                ValueLengthLimit = WireParameters.MaxValueLength * 4,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var (name, values) in form)
            {
                foreach (var value in values)
                {
                    parameters.Add(name, value ?? string.Empty);
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException or InvalidOperationException)
        {
            parameters.Fail("the multipart/form-data body is malformed or over the size limits");
        }
    }

    private enum BodyKind
    {
        Form,
        Json,
        Multipart,
        Unsupported,
    }

    private static BodyKind BodyKindOf(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            // curl -d and many hand-written clients omit it; a form body is the documented default.
            return BodyKind.Form;
        }

        // What nearly every client sends, without parsing it.
        if (contentType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return BodyKind.Form;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType.Value is not { } type)
        {
            return BodyKind.Unsupported;
        }

        if (type.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return BodyKind.Form;
        }

        if (type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        {
            return BodyKind.Json;
        }

        if (type.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return BodyKind.Multipart;
        }

        return BodyKind.Unsupported;
    }
}
