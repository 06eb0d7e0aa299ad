# The project's latest model version that is hosted. Set `model_version` instead to read a
# given version.
data "lookoutvision_model" "serving" {
  project_name = "circuit-boards"
  status       = "HOSTED"
}

output "serving_model" {
  value = {
    version  = data.lookoutvision_model.serving.model_version
    arn      = data.lookoutvision_model.serving.arn
    f1_score = data.lookoutvision_model.serving.performance.f1_score
  }
}
