# The hosted model versions of one project, with their full state.
list "lookoutvision_model" "hosted" {
  provider         = lookoutvision
  include_resource = true
  limit            = 10

  config {
    project_name = "circuit-boards"
    status       = "HOSTED"
  }
}
