using System.CommandLine;
using DeviceFeatures.Protocol.Catalog;
using Spectre.Console;

namespace DeviceFeatures.Cli.Commands;

/// <summary><c>catalog</c>: the features, the models they exist on, their defaults, grants and markets.</summary>
internal static class CatalogCommand
{
    public static Command Create(CliHost host)
    {
        var model = Arguments.Model(required: false);
        var command = new Command("catalog", "Show the feature catalog: compatible models, default, gated, markets") { model };
        return command.Runs(host, (context, parse, _) =>
        {
            var catalog = FeatureCatalog.Default;
            var filter = parse.GetValue(model) is { } text ? Arguments.ParseModel(text).Id : (int?)null;
            var features = catalog.Features.Where(f => filter is null || f.Models.Contains(filter.Value)).ToList();
            string Models(FeatureDefinition f) =>
                string.Join(", ", f.Models.Select(id => catalog.TryGetModel(id, out var m) ? $"{m.Name} ({id})" : id.ToString(System.Globalization.CultureInfo.InvariantCulture)));

            if (context.Json)
            {
                context.WriteJson(features.Select(f => new
                {
                    feature_name = f.Name,
                    description = f.Description,
                    models = f.Models,
                    default_on = f.DefaultOn,
                    gated = f.Gated,
                    markets = f.Markets,
                    note = f.Note,
                }));
                return Task.FromResult(ExitCodes.Success);
            }

            var table = new Table().AddColumns("feature", "models", "default", "gated", "markets", "description");
            foreach (var f in features)
            {
                table.AddRow(
                    Markup.Escape(f.Name),
                    Markup.Escape(Models(f)),
                    f.DefaultOn ? "on" : "off",
                    f.Gated ? "grant needed" : "",
                    f.Markets.Count == 0 ? "all" : string.Join("/", f.Markets),
                    Markup.Escape(f.Description));
            }

            context.Console.Write(table);
            return Task.FromResult(ExitCodes.Success);
        });
    }
}
