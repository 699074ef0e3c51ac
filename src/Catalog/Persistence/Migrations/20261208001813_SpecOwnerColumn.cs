using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Catalog.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class SpecOwnerColumn : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "spec_owner",
                schema: "catalog",
                table: "entities",
                type: "text",
                nullable: true,
                computedColumnSql: "CASE WHEN jsonb_typeof(facts -> 'spec.owner') = 'array' THEN CASE WHEN jsonb_array_length(facts -> 'spec.owner') = 1 THEN facts -> 'spec.owner' ->> 0 END END",
                stored: true);

            // The facts of the entities without one spec.owner value, for FilterSql's exact spec.owner filter: an index
            // over an expression, which the model cannot describe (replaced by a partial index in OwnerIrregularColumn).
            migrationBuilder.Sql("""
                CREATE INDEX ix_entities_owner_irregular ON catalog.entities
                USING gin ((CASE WHEN spec_owner IS NULL THEN facts ELSE '{}'::jsonb END) jsonb_path_ops)
                """);

            migrationBuilder.CreateIndex(
                name: "ix_entities_spec_owner",
                schema: "catalog",
                table: "entities",
                columns: new[] { "spec_owner", "kind", "ref" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX catalog.ix_entities_owner_irregular");

            migrationBuilder.DropIndex(
                name: "ix_entities_spec_owner",
                schema: "catalog",
                table: "entities");

            migrationBuilder.DropColumn(
                name: "spec_owner",
                schema: "catalog",
                table: "entities");
        }
    }
}
