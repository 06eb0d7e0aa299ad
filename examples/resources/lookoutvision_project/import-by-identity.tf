import {
  to = lookoutvision_project.example
  identity = {
    name = "circuit-boards"
  }
}
