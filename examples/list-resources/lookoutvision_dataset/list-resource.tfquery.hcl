# The datasets of one project.
list "lookoutvision_dataset" "boards" {
  provider = lookoutvision

  config {
    project_name = "circuit-boards"
  }
}
