"""Motion maths shared by the head, eye and body layers (rotations, forward kinematics)."""
from .rotations import (axis_angle_to_matrix, axis_angle_to_quaternion, axis_rotation,
                        euler_to_matrix, forward_kinematics, matrix_to_axis_angle,
                        matrix_to_euler, matrix_to_quaternion, quaternion_multiply,
                        quaternion_to_axis_angle, quaternion_to_matrix)

__all__ = ["axis_angle_to_matrix", "axis_angle_to_quaternion", "axis_rotation",
           "euler_to_matrix", "forward_kinematics", "matrix_to_axis_angle", "matrix_to_euler",
           "matrix_to_quaternion", "quaternion_multiply", "quaternion_to_axis_angle",
           "quaternion_to_matrix"]
