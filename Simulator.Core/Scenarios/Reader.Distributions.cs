using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using Zombiesim.Core.Random;

namespace Zombiesim.Core.Scenarios;

/// <summary>Durations that vary: the distribution syntax of scenario files.</summary>
public sealed partial class Reader
{
    internal Distribution ParseDistribution(YamlNode node, string what)
    {
        if (node is YamlScalarNode)
            return new Constant(ParseDuration(node, what).TotalSeconds);
        if (node is not YamlMappingNode m || m.Children.Count != 1)
            throw _origins.Error(node,
                $"{what} must be a duration (310s) or one distribution such as {{ uniform: [280s, 320s] }}, {{ exponential: {{ mean: "
                    + $"10m }} }}, {{ normal: {{ mean: 600s, sd: 5s }} }}, {{ lognormal: {{ median: 10m, sigma: 0.25 }} }}, {{ empirical: "
                    + $"[{{ value: 5m, weight: 1 }}] }}, {{ mixture: [{{ weight: 0.9, normal: {{ mean: 10m, sd: 5s }} }}] }}");
        var (k, v) = m.Children.Single();
        string kind = Scalar(k, "distribution", "a distribution name");
        string inner = $"{what}.{kind}";
        try
        {
            switch (kind)
            {
                case "constant":
                    return new Constant(ParseDuration(v, inner).TotalSeconds);
                case "uniform":
                {
                    if (v is not YamlSequenceNode s || s.Children.Count != 2)
                        throw _origins.Error(v, $"{inner} must be a pair [low, high], like [280s, 320s]");
                    double lo = ParseDuration(s.Children[0], inner + "[0]").TotalSeconds,
                        hi = ParseDuration(s.Children[1], inner + "[1]").TotalSeconds;
                    if (hi < lo)
                        throw _origins.Error(v,
                            $"{inner} needs low <= high, got [{DurationText.Format(TimeSpan.FromSeconds(lo))}, "
                                + $"{DurationText.Format(TimeSpan.FromSeconds(hi))}]");
                    return new Uniform(lo, hi);
                }
                case "exponential":
                {
                    var r = Child(v, inner);
                    var mean = r.Duration("mean", TimeSpan.Zero, "mean");
                    r.Done();
                    if (mean <= TimeSpan.Zero)
                        throw _origins.Error(v, $"{inner}.mean must be positive, like {{ mean: 200s }}");
                    return new Exponential(mean.TotalSeconds);
                }
                case "normal":
                {
                    var r = Child(v, inner);
                    var mean = r.Duration("mean", TimeSpan.Zero, "mean");
                    var sd = r.Duration("sd", TimeSpan.Zero, "standard deviation");
                    r.Done();
                    if (sd <= TimeSpan.Zero)
                        throw _origins.Error(v, $"{inner}.sd must be positive, like {{ mean: 600s, sd: 5s }}");
                    return new Normal(mean.TotalSeconds, sd.TotalSeconds);
                }
                case "lognormal":
                {
                    var r = Child(v, inner);
                    var median = r.Duration("median", TimeSpan.Zero, "median");
                    double sigma = r.Double("sigma", 0, "standard deviation of the logarithm", 0);
                    r.Done();
                    if (median <= TimeSpan.Zero || sigma <= 0)
                        throw _origins.Error(v, $"{inner} needs a positive median and sigma, like {{ median: 10m, sigma: 0.25 }}");
                    return new LogNormal(Math.Log(median.TotalSeconds), sigma);
                }
                case "empirical":
                {
                    if (v is not YamlSequenceNode s || s.Children.Count == 0)
                        throw _origins.Error(v, $"{inner} must be a list like [{{ value: 5m, weight: 9 }}, {{ value: 45m, weight: 1 }}]");
                    var values = new List<double>();
                    var weights = new List<double>();
                    foreach (var item in s.Children)
                    {
                        var r = Child(item, inner);
                        values.Add(r.Duration("value", TimeSpan.Zero, "value").TotalSeconds);
                        weights.Add(r.Double("weight", 1, "weight", 0));
                        r.Done();
                    }
                    if (weights.Sum() <= 0)
                        throw _origins.Error(v, $"{inner} weights must not all be zero");
                    return new Empirical(values, weights);
                }
                case "mixture":
                {
                    if (v is not YamlSequenceNode s || s.Children.Count == 0)
                        throw _origins.Error(v,
                            $"{inner} must be a list like [{{ weight: 0.9, normal: {{ mean: 10m, "
                                + $"sd: 5s }} }}, {{ weight: 0.1, exponential: {{ mean: 30m }} }}]");
                    var parts = new List<Distribution>();
                    var weights = new List<double>();
                    foreach (var item in s.Children)
                    {
                        if (item is not YamlMappingNode im || im.Children.Count != 2
                            || !im.Children.ContainsKey(new YamlScalarNode("weight")))
                            throw _origins.Error(item,
                                $"each item of {inner} needs a weight and one distribution, "
                                    + $"like {{ weight: 0.9, normal: {{ mean: 10m, sd: 5s }} }}");
                        var r = Child(item, inner);
                        weights.Add(r.Double("weight", 1, "weight", 0));
                        var rest = im.Children.First(c => ((YamlScalarNode)c.Key).Value != "weight");
                        parts.Add(ParseDistribution(new YamlMappingNode(rest.Key, rest.Value), inner));
                    }
                    if (weights.Sum() <= 0)
                        throw _origins.Error(v, $"{inner} weights must not all be zero");
                    return new Mixture(parts, weights);
                }
                default:
                    throw _origins.Error(k,
                        $"'{kind}' is not a distribution: expected constant, uniform, exponential, normal, lognormal, empirical or "
                            + $"mixture{Suggestions.Suggest(kind,
                                ["constant", "uniform", "exponential", "normal", "lognormal", "empirical", "mixture"])}");
            }
        }
        catch (ArgumentException e)
        {
            throw _origins.Error(v, $"{inner}: {e.Message}");
        }
    }
}
