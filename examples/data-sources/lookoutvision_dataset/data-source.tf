data "lookoutvision_dataset" "train" {
  project_name = "circuit-boards"
  dataset_type = "train"
}

output "train_status" {
  value = data.lookoutvision_dataset.train.status
}

output "train_labeled_images" {
  value = data.lookoutvision_dataset.train.image_stats.labeled
}
