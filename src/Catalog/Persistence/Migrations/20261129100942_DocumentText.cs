using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Catalog.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class DocumentText : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "document_text",
                schema: "catalog",
                table: "entities",
                type: "text",
                nullable: false,
                computedColumnSql: "document::text",
                stored: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "document_text",
                schema: "catalog",
                table: "entities");
        }
    }
}
