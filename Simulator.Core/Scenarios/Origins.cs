using YamlDotNet.RepresentationModel;

namespace Zombiesim.Core.Scenarios;

/// <summary>Where nodes came from: the file, or a <c>--set</c> argument.</summary>
internal sealed class Origins(string file)
{
    public string File { get; } = file;
    public Dictionary<YamlNode, (string Arg, int Index)> FromSet { get; } = new(ReferenceEqualityComparer.Instance);

    public ScenarioException Error(YamlNode? node, string message)
    {
        if (node is not null && FromSet.TryGetValue(node, out var set))
            return new ScenarioException($"--set #{set.Index + 1} ({set.Arg})", 1, 1, message);
        return node is null
            ? new ScenarioException(File, 1, 1, message)
            : new ScenarioException(File, node.Start.Line, node.Start.Column, message);
    }
}
