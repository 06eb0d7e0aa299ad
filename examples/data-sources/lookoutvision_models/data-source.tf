data "lookoutvision_models" "trained" {
  project_name = "circuit-boards"
  status       = "TRAINED"
}

output "trained_versions" {
  value = data.lookoutvision_models.trained.model_versions
}
