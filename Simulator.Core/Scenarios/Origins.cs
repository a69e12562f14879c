using YamlDotNet.RepresentationModel;

namespace Zombiesim.Core.Scenarios;

/// <summary>Where nodes came from: the file, or a <c>--set</c> argument.</summary>
internal sealed class Origins(string file)
{
    public string File { get; } = file;
    public Dictionary<YamlNode, (string Arg, int Index)> FromSet { get; } = new(ReferenceEqualityComparer.Instance);

    public BadInputException Error(YamlNode? node, string message)
    {
        if (node is not null && FromSet.TryGetValue(node, out var set))
            return SetError(set.Arg, message);
        return node is null
            ? new ScenarioException(File, 1, 1, message)
            : new ScenarioException(File, node.Start.Line, node.Start.Column, message);
    }

    /// <summary>An error in a <c>--set</c> argument is a flag error: named by the argument, with no line or column.</summary>
    public static UsageException SetError(string assignment, string message) => new($"--set {assignment}", message);
}
