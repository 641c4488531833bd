using DeviceFeatures.Protocol.Catalog;
using DeviceFeatures.Server.Catalog;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

internal sealed class CatalogModel(CatalogProvider catalog) : ConsolePageModel
{
    public FeatureCatalog Catalog => catalog.Current;
}
