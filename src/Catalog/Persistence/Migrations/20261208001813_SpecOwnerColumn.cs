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

            migrationBuilder.CreateIndex(
                name: "ix_entities_facts_irregular_owner",
                schema: "catalog",
                table: "entities",
                column: "facts",
                filter: "spec_owner IS NULL AND facts ? 'spec.owner'")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "jsonb_path_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_entities_spec_owner",
                schema: "catalog",
                table: "entities",
                columns: new[] { "spec_owner", "kind", "ref" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_entities_facts_irregular_owner",
                schema: "catalog",
                table: "entities");

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
