data "lookoutvision_projects" "all" {}

output "project_names" {
  value = data.lookoutvision_projects.all.names
}
