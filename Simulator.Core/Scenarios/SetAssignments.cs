using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using Zombiesim.Core.Clients;
using Zombiesim.Core.Network;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Scenarios;

/// <summary><c>--set path=value</c>: each assignment replaces or adds one node of the
/// scenario's YAML, and errors in the value point at the flag.</summary>
internal static class SetAssignments
{

    internal static void ApplySet(ref YamlNode root, string assignment, int index, Scenarios.Origins origins)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0)
            throw Origins.SetError(assignment, $"'{assignment}' is not path=value, like server.idleTimeout=310s or traffic.0.at=[0s,75s]");
        string path = assignment[..eq].Trim();
        string valueText = assignment[(eq + 1)..];
        YamlNode value;
        try
        {
            var documents = YamlGuard.Load(valueText.Length == 0 ? "''" : valueText, "--set");
            value = documents.Count == 0 ? new YamlScalarNode("") : documents[0].RootNode;
        }
        catch (ScenarioException e)
        {
            throw Origins.SetError(assignment, $"the value is not valid YAML at its character {e.Column}: {e.Problem}");
        }
        MarkFromSet(value, assignment, index, origins);
        string[] parts = path.Split('.');
        YamlNode current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            bool last = i == parts.Length - 1;
            string soFar = string.Join('.', parts.Take(i + 1));
            switch (current)
            {
                case YamlMappingNode m:
                {
                    var key = new YamlScalarNode(part);
                    if (last)
                    {
                        m.Children[key] = value;
                        origins.FromSet[key] = (assignment, index);
                        foreach (var k in m.Children.Keys.Where(k => k.Equals(key)))
                            origins.FromSet[k] = (assignment, index);
                        return;
                    }
                    if (!m.Children.TryGetValue(key, out var next))
                    {
                        next = int.TryParse(parts[i + 1], out _) ? new YamlSequenceNode() : new YamlMappingNode();
                        m.Children[key] = next;
                        origins.FromSet[next] = (assignment, index);
                        foreach (var k in m.Children.Keys.Where(k => k.Equals(key)))
                            origins.FromSet[k] = (assignment, index);
                    }
                    current = next;
                    break;
                }
                case YamlSequenceNode seq:
                {
                    if (!int.TryParse(part, out int n) || n < 0 || n >= seq.Children.Count)
                        throw Origins.SetError(assignment,
                            $"'{soFar}' does not exist: the list has {seq.Children.Count} item(s), "
                                + $"so the index must be 0 to {seq.Children.Count - 1}");
                    if (last)
                    {
                        seq.Children[n] = value;
                        return;
                    }
                    current = seq.Children[n];
                    break;
                }
                default:
                    throw Origins.SetError(assignment,
                        $"'{string.Join('.', parts.Take(i))}' is a single value, so '{soFar}' does not exist");
            }
        }
    }

    internal static void MarkFromSet(YamlNode node, string assignment, int index, Scenarios.Origins origins)
    {
        origins.FromSet[node] = (assignment, index);
        foreach (var child in node.AllNodes)
            origins.FromSet[child] = (assignment, index);
    }
}
