import {
  to = lookoutvision_model.example
  identity = {
    project_name  = "circuit-boards"
    model_version = "1"
  }
}
