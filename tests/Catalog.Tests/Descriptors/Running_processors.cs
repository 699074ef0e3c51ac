using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Ingestion.Processors;
using Portal.Catalog.Model;

namespace Portal.Catalog.Tests.Descriptors;

public sealed class Running_processors
{
    [Fact]
    public void Runs_in_ascending_order_whatever_the_registration_order()
    {
        var seen = new List<string>();
        var pipeline = new DescriptorPipeline(
            [new Probe("late", 500, seen), new BuiltinKindsProcessor(), new Probe("early", 50, seen), new EnvelopeProcessor(), new Probe("first", -1, seen)],
            new DescriptorLimits());

        pipeline.ReadFile("x.yaml", Descriptor.Component());

        Assert.Equal(["first:", "early:component:default/payments-api", "late:component:default/payments-api"], seen);
    }

    [Fact]
    public void Stops_a_document_at_the_first_processor_that_reports_an_error()
    {
        var seen = new List<string>();
        var pipeline = new DescriptorPipeline([new EnvelopeProcessor(), new Probe("after", 10, seen)], new DescriptorLimits());

        var batch = pipeline.ReadFile("x.yaml", Descriptor.Component("bad name") + "\n---\n" + Descriptor.Component("good"));

        Assert.Equal(["after:component:default/good"], seen);
        Assert.Equal([2], batch.Entities.Select(e => e.DocumentIndex));
        Assert.Equal([1], batch.Problems.Select(p => p.Document));
    }

    [Fact]
    public void Keeps_warnings_on_the_entity_and_rejects_on_errors()
    {
        var pipeline = new DescriptorPipeline(
            [new EnvelopeProcessor(), new Judge(entity => entity.Name == "bad" ? "error" : "warning")],
            new DescriptorLimits());

        var batch = pipeline.ReadFile("x.yaml", Descriptor.Component("ok") + "\n---\n" + Descriptor.Component("bad"));

        var kept = Assert.Single(batch.Entities);
        Assert.Equal(new CatalogProblem(ProblemLevel.Warning, "x.yaml", 1, "spec.type", "judged"), Assert.Single(kept.Warnings));
        Assert.Equal(new CatalogProblem(ProblemLevel.Error, "x.yaml", 2, null, "judged"), Assert.Single(batch.Problems));
    }

    [Fact]
    public void Turns_a_processor_exception_into_an_error_on_that_document()
    {
        var pipeline = new DescriptorPipeline([new EnvelopeProcessor(), new Thrower()], new DescriptorLimits());

        var batch = pipeline.ReadFile("x.yaml", Descriptor.Component());

        Assert.Empty(batch.Entities);
        Assert.Equal("processor thrower failed: InvalidOperationException: boom", Assert.Single(batch.Problems).Message);
    }

    [Fact]
    public void Rejects_entities_when_no_processor_identifies_them()
    {
        var pipeline = new DescriptorPipeline([new BuiltinKindsProcessor()], new DescriptorLimits());

        var batch = pipeline.ReadFile("x.yaml", Descriptor.Component());

        Assert.StartsWith("no processor identified the entity", Assert.Single(batch.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lets_a_processor_add_relations_to_an_unknown_kind()
    {
        var pipeline = new DescriptorPipeline([new EnvelopeProcessor(), new BuiltinKindsProcessor(), new Judge(_ => null)], new DescriptorLimits());

        var entity = Assert.Single(pipeline.ReadFile("x.yaml", "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}").Entities);

        var relation = Assert.Single(entity.Relations);
        Assert.Equal("thing:default/t dependsOn resource:default/judge", $"{relation.Source} {relation.Type} {relation.Target}");
    }

    private sealed class Probe(string name, int order, List<string> seen) : IEntityProcessor
    {
        public string Name => name;

        public int Order => order;

        public void Process(EntityProcessingContext context) => seen.Add($"{name}:{context.Ref}");
    }

    private sealed class Judge(Func<EntityProcessingContext, string?> verdict) : IEntityProcessor
    {
        public string Name => "judge";

        public int Order => 200;

        public void Process(EntityProcessingContext context)
        {
            switch (verdict(context))
            {
                case "error":
                    context.Error(null, "judged");
                    break;
                case "warning":
                    context.Warning("spec.type", "judged");
                    break;
                default:
                    context.EmitRelation(new EntityRelation(context.Ref!, RelationTypes.DependsOn, new EntityRef("Resource", "default", "judge")));
                    break;
            }
        }
    }

    private sealed class Thrower : IEntityProcessor
    {
        public string Name => "thrower";

        public int Order => 1;

        public void Process(EntityProcessingContext context) => throw new InvalidOperationException("boom");
    }
}
