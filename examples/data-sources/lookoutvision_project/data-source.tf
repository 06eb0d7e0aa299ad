data "lookoutvision_project" "boards" {
  name = "circuit-boards"
}

output "boards_datasets" {
  value = {
    for dataset in data.lookoutvision_project.boards.datasets :
    dataset.dataset_type => dataset.status
  }
}

output "boards_model_versions" {
  value = data.lookoutvision_project.boards.model_versions
}
